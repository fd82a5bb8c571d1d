use std::process::ExitCode;
#[derive(Debug, clap::Args)]
pub struct FtpLoadArgs {}
pub async fn ftp(_a: FtpLoadArgs) -> anyhow::Result<ExitCode> { anyhow::bail!("wip") }
