//! Options every subcommand shares (format, colour, verbosity) and the one way a result is
//! printed: through relgate's report renderers.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use relgate::{Format, Report};

/// The output formats, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned text for people (colour only on a terminal; `NO_COLOR` honoured).
    Human,
    /// JSON under relgate's report schema.
    Json,
    /// Markdown (for a CI step summary).
    Markdown,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0 (for code scanning upload).
    Sarif,
    /// An unsigned in-toto statement: the SLSA Verification Summary of the decision.
    Vsa,
}

impl OutputFormat {
    /// relgate's renderer for this format.
    pub(crate) fn format(self) -> Format {
        match self {
            OutputFormat::Human => Format::Terminal,
            OutputFormat::Json => Format::Json,
            OutputFormat::Markdown => Format::Markdown,
            OutputFormat::Github => Format::Github,
            OutputFormat::Junit => Format::Junit,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Vsa => Format::Vsa,
        }
    }
}

/// When to colour the human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub(crate) format: OutputFormat,
    /// Colour the human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); `RELKIT_LOG` takes a filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

impl Global {
    /// Whether human output is coloured: `--color`, else a terminal on stdout and no
    /// `NO_COLOR`.
    pub(crate) fn color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }

    /// Whether progress bars may be drawn: human output and a terminal on stderr.
    pub(crate) fn progress(&self) -> bool {
        self.format == OutputFormat::Human && std::io::stderr().is_terminal()
    }

    /// Starts logging to stderr at the level `-v` asks for.
    pub(crate) fn init_logging(&self) {}

    /// Prints `report` in the chosen format and returns its exit status.
    pub(crate) fn emit(&self, report: &Report) -> ExitCode {
        let color = self.format == OutputFormat::Human && self.color();
        let text = self.format.format().render(report, color);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", text.trim_end_matches('\n'));
        ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(2))
    }
}
