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

    /// Prints `report` in the chosen format and returns its exit status; under GitHub
    /// Actions (`GITHUB_STEP_SUMMARY` set) also appends its Markdown to the step summary.
    pub(crate) fn emit(&self, report: &Report) -> ExitCode {
        let color = self.format == OutputFormat::Human && self.color();
        let text = self.format.format().render(report, color);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", text.trim_end_matches('\n'));
        append_step_summary(report);
        ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(2))
    }
}

/// Appends the Markdown rendering of `report` to the file `GITHUB_STEP_SUMMARY` names, when
/// set (GitHub Actions shows it on the run's summary page). A summary that cannot be written
/// is a warning on stderr: the decision stands.
fn append_step_summary(report: &Report) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let markdown = Format::Markdown.render(report, false);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{}", markdown.trim_end_matches('\n')));
    if let Err(e) = written {
        eprintln!(
            "warning: cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
            std::path::Path::new(&path).display()
        );
    }
}
