use brickyard::api::BrickEvictOptions;
use clap::{Args, Subcommand};

use super::{Context, first_arg};
use crate::CliError;

/// What heketi-cli prints (Go's `fmt.Println` of two strings: a space between them)
/// before skipping the heal check; it then waits 10 seconds.
pub(crate) const HEAL_CHECK_WARNING: &str = "Skipping the heal check may be dangerous and increase the risk of data loss.\n Press CTRL-C within 10 seconds to cancel this action.\n";

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
                if ids.len() > 1 {
                    return Err(CliError::Usage("Too many arguments provided".into()));
                }
                if disable_heal_check {
                    ctx.print(HEAL_CHECK_WARNING)?;
                    std::thread::sleep(std::time::Duration::from_secs(10));
                }
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
