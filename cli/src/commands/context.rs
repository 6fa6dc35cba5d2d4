use std::io::Write;

use serde::Serialize;

use crate::CliError;
use crate::client::Client;

/// Which program the binary is acting as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Invoked as `heketi-cli`: exactly heketi-cli's behaviour, no extras.
    HeketiCli,
    /// Invoked as `brickyard`: the same commands plus Brickyard extras.
    Brickyard,
}

/// What a command needs to run: the client, output streams and global flags.
pub struct Context<'a> {
    /// The API client.
    pub client: Client,
    /// `--json` was given.
    pub json: bool,
    /// heketi-cli or brickyard behaviour.
    pub mode: Mode,
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
}

impl Context<'_> {
    /// Writes text to stdout.
    pub fn print(&mut self, text: &str) -> Result<(), CliError> {
        self.out.write_all(text.as_bytes())?;
        Ok(())
    }

    /// Writes text to stdout and flushes, for progress lines such as `Creating node … `.
    pub fn progress(&mut self, text: &str) -> Result<(), CliError> {
        self.out.write_all(text.as_bytes())?;
        self.out.flush()?;
        Ok(())
    }

    /// Writes text to stderr.
    pub fn eprint(&mut self, text: &str) -> Result<(), CliError> {
        self.err.write_all(text.as_bytes())?;
        Ok(())
    }

    /// Prints a value as compact JSON without a trailing newline, as heketi-cli does.
    pub fn print_json<T: Serialize>(&mut self, value: &T) -> Result<(), CliError> {
        let text = serde_json::to_string(value)?;
        self.print(&text)
    }

    /// `--json` ? compact JSON : the given text.
    pub fn print_either<T: Serialize>(
        &mut self,
        value: &T,
        text: impl FnOnce(&T) -> String,
    ) -> Result<(), CliError> {
        if self.json {
            self.print_json(value)
        } else {
            let t = text(value);
            self.print(&t)
        }
    }

    /// True when running as `brickyard` (extras enabled).
    pub fn extras(&self) -> bool {
        self.mode == Mode::Brickyard
    }
}
