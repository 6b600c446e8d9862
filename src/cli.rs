//! Command-line flags. Pipeline semantics live in `pipeline.toml`; flags choose what to
//! run now and how to show it.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::telemetry::LogFormat;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  everything asked for was done (datasets not yet due or withheld by decision count as done)
  1  data held back or refused: a screen finding, a schema violation, an unreadable source,
     an invalid manifest, or a dataset the portal refused (a field it does not keep, a file
     over its upload limit); running again unchanged will not help; the rest went on
  2  configuration or usage error, or the portal probe found the portal cannot take the
     release (refused token, unknown organization or licence, schema): nothing was sent
  3  portal or machine failure (unreachable, 5xx, timeouts, the lock held): running again
     once it is fixed will help";

/// Publishes a department's approved open data to a CKAN open-government portal.
#[derive(Debug, Parser)]
#[command(name = "ogpipe", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The pipeline configuration.
    #[arg(
        long,
        global = true,
        default_value = "pipeline.toml",
        env = "OGPIPE_CONFIG"
    )]
    pub config: PathBuf,
    /// How log lines (on stderr) are written.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log detail (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Also appends log lines to this file, in the same format.
    #[arg(long, global = true, value_name = "PATH", env = "OGPIPE_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// Less log detail (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Reads input files through a buffer instead of mapping them into memory
    /// (`convert`, `validate` and `infer-schema` map an XML file of 1 MiB or more).
    #[arg(
        long,
        global = true,
        env = "OGPIPE_NO_MMAP",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_mmap: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the pipeline: plan, read, screen, validate, convert, package, publish.
    Run(RunArgs),
    /// Shows which datasets the release gate lets through on a date, and why others wait.
    Plan(PlanArgs),
    /// Converts one spreadsheet, XML or CSV file to CSV, JSON or NDJSON.
    Convert(ConvertArgs),
    /// Screens files for markings, personal identifiers and hidden content.
    Screen(ScreenArgs),
    /// Validates a file against a Table Schema.
    Validate(ValidateArgs),
    /// Infers a Table Schema from a file, for a person to review and commit.
    InferSchema(InferArgs),
    /// Publishes the current packages of approved datasets, without rebuilding them.
    Publish(RunArgs),
    /// Re-hashes a package and checks it against SHA256SUMS and datapackage.json, or
    /// checks what the portal serves against the package.
    Verify(VerifyArgs),
    /// Writes a BagIt bag (RFC 8493) of a published dataset, for archival transfer.
    Export(ExportArgs),
    /// Lists past runs, or shows one.
    History(HistoryArgs),
    /// Every dataset of the inventory: decision, approval, dates, last publication, next action.
    Status(StatusArgs),
    /// The Directive's reports: inventory and progress (default), the inventory template,
    /// the business owners' report, the release plan, the monthly progress report.
    Report(ReportArgs),
    /// Runs as a service, starting each run when the schedule says.
    Schedule(ScheduleArgs),
    /// The mock CKAN portal.
    #[command(subcommand)]
    Portal(PortalCommand),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run date for the release gate (YYYY-MM-DD). Default: today.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Reads the portal and prints what would change, without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Prints the run report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Only these inventory references (repeatable).
    #[arg(long = "only", value_name = "REFERENCE")]
    pub only: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The run date (YYYY-MM-DD). Default: today.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToFormat {
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    pub input: PathBuf,
    /// A sheet by its name (a sheet named `2024` too), or `all` for one output per sheet.
    #[arg(long)]
    pub sheet: Option<String>,
    /// A sheet by its 0-based position in the workbook, hidden sheets counted.
    #[arg(long, conflicts_with = "sheet")]
    pub sheet_index: Option<usize>,
    #[arg(long, value_enum, default_value_t = ToFormat::Csv)]
    pub to: ToFormat,
    /// Output file (or folder with --sheet all). Default: stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// XML: the path of the repeating record element, e.g. /publications/publication.
    #[arg(long)]
    pub record_path: Option<String>,
    /// The 1-based header row. Default: the first non-empty row.
    #[arg(long)]
    pub header_row: Option<u32>,
    /// A cell range such as B3:F200.
    #[arg(long)]
    pub range: Option<String>,
    /// Decimals in their shortest round-trip form instead of Excel's 15 digits.
    #[arg(long)]
    pub round_trip: bool,
    /// Starts CSV output with a UTF-8 byte-order mark, for Excel users.
    #[arg(long)]
    pub bom: bool,
    /// Spreadsheet error cells (#N/A, #DIV/0!): `report` writes their text and exits 1
    /// naming the first cells; `empty` and `text` convert them quietly.
    #[arg(long, value_enum, default_value_t = crate::read::ErrorCellPolicy::Report)]
    pub error_cells: crate::read::ErrorCellPolicy,
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub input: PathBuf,
    /// The Table Schema (JSON).
    #[arg(long)]
    pub schema: PathBuf,
    #[arg(long)]
    pub sheet: Option<String>,
    #[arg(long)]
    pub record_path: Option<String>,
    /// Prints the report as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Prints the violations as CSV, for a business owner's spreadsheet.
    #[arg(long)]
    pub csv: bool,
    /// Violations kept before the report says "truncated".
    #[arg(long, default_value_t = 1000)]
    pub max_violations: usize,
}

#[derive(Debug, Args)]
pub struct InferArgs {
    pub input: PathBuf,
    #[arg(long)]
    pub sheet: Option<String>,
    #[arg(long)]
    pub record_path: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A package folder (out/packages/<name>), or with --portal an inventory reference.
    pub target: String,
    /// Downloads what the portal serves for this dataset and checks it byte for byte
    /// against the package.
    #[arg(long)]
    pub portal: bool,
    #[arg(long)]
    pub json: bool,
    /// Files hashed at once, on this many threads. Default: 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Writes a BagIt bag.
    #[arg(long, required = true)]
    pub bagit: bool,
    /// The dataset: an inventory reference or a package folder.
    pub dataset: String,
    /// The bag's folder (must not exist).
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The date to judge what is due (YYYY-MM-DD). Default: today.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Csv,
    Json,
    Html,
    /// Only for `report inventory`.
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Default: markdown (csv for `inventory`).
    #[arg(long, value_enum, global = true)]
    pub format: Option<ReportFormat>,
    /// The report date (YYYY-MM-DD): the record as it stood that day. Default: today.
    #[arg(long, global = true)]
    pub as_of: Option<NaiveDate>,
    /// The report's language.
    #[arg(long, value_enum, global = true, default_value_t = crate::report::Lang::En)]
    pub lang: crate::report::Lang,
    /// Output file. Default: stdout.
    #[arg(short, long, global = true)]
    pub output: Option<PathBuf>,
    /// Without one: the inventory and progress report.
    #[command(subcommand)]
    pub kind: Option<ReportKind>,
}

/// The Directive's other reports.
#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// The Open Data Inventory in the Registry's template (`inventory` table): csv or xlsx.
    Inventory,
    /// The business owners' report: by category, recommendation, grounds and approvals.
    Owners,
    /// The release plan: the priority list with planned dates and approvals.
    Plan,
    /// The monthly progress report on the release plan.
    Progress {
        /// The month (YYYY-MM). Default: the month just ended.
        #[arg(long)]
        month: Option<crate::report::monthly::Month>,
    },
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Prints the next N run times and exits.
    #[arg(long, value_name = "N")]
    pub next: Option<usize>,
    /// With --next: list the runs after this instant (RFC 3339) instead of now.
    #[arg(long, requires = "next", value_name = "TIME")]
    pub after: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A run id (or a unique prefix) to show.
    pub run: Option<String>,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Serves the mock portal until interrupted, printing its URL and token.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Loopback port. Default: any free port.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Where datasets and files are kept.
    #[arg(long, default_value = "out/portal")]
    pub state: PathBuf,
    #[arg(long, value_enum, default_value_t = ProfileArg::OpenCanada)]
    pub profile: ProfileArg,
    /// The API token clients must send. Default: from OGPIPE_PORTAL_TOKEN, else random.
    #[arg(long, env = "OGPIPE_MOCK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    Ckan,
    OpenCanada,
}
