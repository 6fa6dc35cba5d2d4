use brickyard::api::BrickEvictOptions;
use clap::{Args, Subcommand};

use super::{Context, first_arg};
use crate::CliError;

/// `brick …`
#[derive(Debug, Args)]
pub struct BrickCmd {
    #[command(subcommand)]
    cmd: BrickSub,
}

#[derive(Debug, Subcommand)]
enum BrickSub {
    /// Evict a brick: replace it with a new brick on another device
    Evict {
        /// Skip the heal check before evicting (dangerous)
        #[arg(long = "expert-option-disable-heal-check")]
        disable_heal_check: bool,
        ids: Vec<String>,
    },
}

impl BrickCmd {
    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            BrickSub::Evict {
                disable_heal_check,
                ids,
            } => {
                let id = first_arg(&ids, "Brick id missing")?;
                let opts = BrickEvictOptions {
                    healcheck: "disable".into(),
                };
                ctx.client
                    .brick_evict(id, disable_heal_check.then_some(&opts))?;
                ctx.print(&format!("Brick {id} evicted\n"))
            }
        }
    }
}
