use std::path::Path;
use std::process::ExitCode;
pub async fn serve(_a: crate::cli::ServeArgs) -> anyhow::Result<ExitCode> { anyhow::bail!("wip") }
pub async fn run(_o: &Path) -> anyhow::Result<ExitCode> { anyhow::bail!("wip") }
