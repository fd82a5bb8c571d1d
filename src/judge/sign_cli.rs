//! `eseal keygen` and `eseal verify`: a lab's signing key, and the check of a signed report
//! directory (formats in `docs/report-schema.md`).

#![allow(clippy::print_stdout, clippy::print_stderr)] // command-line output is the job here

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::report::MANIFEST;
use super::sign::{self, KeySource, PUBLIC_KEY, SIGNATURE};

/// Options of `eseal keygen`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeygenArgs {
    /// Where the private key goes (PKCS#8 PEM, mode 0600); the public key goes to FILE.pub.
    /// Neither is overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

/// Options of `eseal verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// A report directory written by `eseal certify --sign-key FILE`.
    pub dir: PathBuf,
    /// The signer's public key (SPKI PEM), as the lab publishes it. Without it the key shipped in
    /// DIR is used, which proves the report unchanged but not who signed it.
    #[arg(long)]
    pub public_key: Option<PathBuf>,
}

/// Runs `eseal keygen`: prints the two paths and the fingerprint.
pub fn keygen(args: &KeygenArgs) -> Result<ExitCode> {
    let (public, fp) = sign::generate_key(&args.out)?;
    println!(
        "私钥 / private key: {} (保密 / keep it secret)",
        args.out.display()
    );
    println!("公钥 / public key: {}", public.display());
    println!("密钥指纹 / fingerprint: {fp}");
    Ok(ExitCode::SUCCESS)
}

/// Runs `eseal verify`: exit 0 when every hash and the signature check out, 1 otherwise.
pub fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let v = sign::verify_dir(&args.dir, args.public_key.as_deref())?;
    println!("eseal verify {}", args.dir.display());
    println!(
        "清单 / manifest: {MANIFEST}, {} 个文件 / files listed, {} 个哈希一致 / hashes match",
        v.listed, v.matched
    );
    match &v.key {
        Some((source, fp)) => {
            let from = match source {
                KeySource::Given(p) => format!("--public-key {}", p.display()),
                KeySource::Shipped => {
                    format!("{PUBLIC_KEY} (随报告附带 / shipped with the report)")
                }
            };
            let state = if v.signature_ok {
                "有效 / valid"
            } else {
                "无效 / NOT valid"
            };
            println!(
                "签名 / signature {SIGNATURE}: {state}; 密钥 / key {from}; 指纹 / fingerprint {fp}"
            );
            if *source == KeySource::Shipped {
                println!(
                    "警告 / WARNING: 验证所用公钥取自报告目录自带的 {PUBLIC_KEY}，只能证明报告未被改动，不能证明报告出自谁手；\
                     请用 --public-key 指定实验室公布的公钥并核对指纹。/ the key used is the {PUBLIC_KEY} shipped \
                     in the directory: this proves the report unchanged (integrity), not who signed it (origin); \
                     pass --public-key with the lab's published key and compare the fingerprint."
                );
            }
        }
        None => println!("签名 / signature: 未检查 / not checked"),
    }
    if !v.not_covered.is_empty() {
        println!(
            "未纳入清单（不受签名保护）/ not covered by the manifest (not protected): {}",
            v.not_covered.join(", ")
        );
    }
    for p in &v.problems {
        println!("  {p}");
    }
    if v.ok() {
        println!("结论 / verdict: 验证通过 / VERIFIED");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "结论 / verdict: 拒绝 / REFUSED ({} 个问题 / problems)",
            v.problems.len().max(1)
        );
        Ok(ExitCode::from(1))
    }
}
