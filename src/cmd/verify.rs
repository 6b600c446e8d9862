//! `ogpipe verify`: a package against its own records, or the portal against a package.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use super::{print_json, tokio_runtime, Exit, UsageError};
use crate::cli::VerifyArgs;
use crate::config::Pipeline;
use crate::package::verify::{self as pv, PortalStatus, PortalVerification, Verification};
use crate::plan::{self, Manifest};
use crate::run::Portal;
use crate::vocab::Profile;

pub fn verify(a: &VerifyArgs) -> anyhow::Result<Exit> {
    let jobs = a.jobs.map_or_else(pv::default_jobs, usize::from);
    let v = pv::verify_dir_with(Path::new(&a.target), jobs).map_err(anyhow::Error::msg)?;
    if a.json {
        print_json(&v)?;
    } else {
        let mut out = io::stdout().lock();
        write_local(&mut out, &a.target, &v)?;
    }
    Ok(if v.is_ok() { Exit::Ok } else { Exit::Held })
}

fn write_local(out: &mut impl Write, target: &str, v: &Verification) -> io::Result<()> {
    for p in &v.problems {
        writeln!(out, "{}: {}", p.file, p.detail)?;
    }
    writeln!(
        out,
        "{}: {} files, {} bytes checked, {}",
        target,
        v.files_checked,
        v.bytes_hashed,
        if v.is_ok() {
            "all match".to_string()
        } else {
            format!("{} problem(s)", v.problems.len())
        }
    )
}

/// A dataset of the inventory, found by its reference, and where its package is.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Located {
    pub reference: String,
    pub slug: String,
    pub id: uuid::Uuid,
    pub title: String,
    /// What the portal knows it by: the UUID (open-canada profile) or the slug (ckan).
    pub lookup: String,
    /// `out/packages/<slug>`, resolved to the version folder it links to, so every file
    /// read comes from one version even if a run switches the link meanwhile.
    pub package: PathBuf,
}

/// Finds the manifest with inventory reference `reference` and its current package.
///
/// A manifest the gate would hold (invalid against today's data folder, not approved)
/// still names its package: verifying what was published must not depend on whether
/// it would be published again today.
///
/// # Errors
/// No manifest has that reference ([`UsageError`]), the manifests cannot be listed, or
/// there is no package (never built: run `ogpipe run` first).
pub(super) fn locate(pipeline: &Pipeline, reference: &str) -> anyhow::Result<Located> {
    let loaded =
        plan::load_dir(&pipeline.paths.datasets, &pipeline.paths.data).with_context(|| {
            format!(
                "{}: cannot list the dataset manifests",
                pipeline.paths.datasets.display()
            )
        })?;
    let manifest: Option<Manifest> = loaded.into_iter().find_map(|l| {
        let m = match l.manifest {
            Ok(m) => m,
            Err(_) => Manifest::parse(&std::fs::read_to_string(&l.path).ok()?).ok()?,
        };
        (m.inventory.reference == reference).then_some(m)
    });
    let Some(m) = manifest else {
        return Err(UsageError(format!(
            "no manifest in {} has inventory reference \"{reference}\"; `ogpipe status` lists them",
            pipeline.paths.datasets.display()
        ))
        .into());
    };
    let slug = m
        .inventory
        .name
        .clone()
        .unwrap_or_else(|| plan::slug(reference));
    let id = plan::dataset_id(&pipeline.portal.organization, reference);
    let link = crate::package::package_path(&pipeline.paths.output, &slug);
    let package = std::fs::canonicalize(&link).map_err(|e| {
        UsageError(format!(
            "{}: no package for {reference} ({e}); `ogpipe run --only {reference}` builds it",
            link.display()
        ))
    })?;
    Ok(Located {
        reference: reference.to_string(),
        lookup: match pipeline.portal.profile {
            Profile::OpenCanada => id.to_string(),
            Profile::Ckan => slug.clone(),
        },
        slug,
        id,
        title: m.metadata.title.en.clone(),
        package,
    })
}

/// The whole answer of `verify --portal`, as `--json` prints it.
#[derive(Debug, Serialize)]
struct PortalReport<'a> {
    reference: &'a str,
    package: &'a Path,
    portal: String,
    /// The package checked against its own records first.
    local: &'a Verification,
    #[serde(flatten)]
    remote: &'a PortalVerification,
    ok: bool,
}

/// `ogpipe verify --portal REFERENCE`: downloads each data file the portal serves for
/// the dataset and compares it byte for byte (size and SHA-256) with the package.
///
/// Exit 0 when every file matches, 1 on any difference (including a package that does
/// not match its own records), 3 when the portal could not be read.
///
/// # Errors
/// The reference or package is unknown, or the portal cannot be reached.
pub fn verify_portal(pipeline: &Pipeline, a: &VerifyArgs) -> anyhow::Result<Exit> {
    let located = locate(pipeline, &a.target)?;
    let jobs = a.jobs.map_or_else(pv::default_jobs, usize::from);
    let local = pv::verify_dir_with(&located.package, jobs).map_err(anyhow::Error::msg)?;
    let expected = pv::expected_files(&located.package).map_err(anyhow::Error::msg)?;
    let rt = tokio_runtime()?;
    let (remote, describe) = rt.block_on(async {
        let portal = Portal::connect(pipeline).await?;
        let describe = portal.describe();
        let remote = pv::verify_portal(portal.client(), &located.lookup, &expected).await;
        portal.close().await;
        anyhow::Ok((
            remote.with_context(|| format!("reading {} from {describe}", located.reference))?,
            describe,
        ))
    })?;
    let ok = local.is_ok() && remote.is_ok();
    if a.json {
        print_json(&PortalReport {
            reference: &located.reference,
            package: &located.package,
            portal: describe,
            local: &local,
            remote: &remote,
            ok,
        })?;
    } else {
        let mut out = io::stdout().lock();
        write_portal(&mut out, &located, &describe, &local, &remote)?;
    }
    Ok(if remote.has_failures() {
        Exit::Failure
    } else if ok {
        Exit::Ok
    } else {
        Exit::Held
    })
}

fn write_portal(
    out: &mut impl Write,
    located: &Located,
    portal: &str,
    local: &Verification,
    remote: &PortalVerification,
) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}) on {portal}, dataset {}",
        located.reference, located.title, remote.dataset
    )?;
    if !local.is_ok() {
        writeln!(
            out,
            "  the package itself does not match its records ({}):",
            located.package.display()
        )?;
        for p in &local.problems {
            writeln!(out, "    {}: {}", p.file, p.detail)?;
        }
    }
    if !remote.found {
        writeln!(out, "  the portal has no such dataset")?;
    }
    for f in &remote.files {
        match &f.status {
            PortalStatus::Match => writeln!(
                out,
                "  match            {}  {} bytes  sha256 {}",
                f.key,
                f.package_bytes.unwrap_or_default(),
                f.package_sha256.map(|d| d.hex()).unwrap_or_default()
            )?,
            PortalStatus::Differs {
                portal_sha256,
                portal_bytes,
            } => {
                writeln!(out, "  DIFFERS          {}", f.key)?;
                writeln!(
                    out,
                    "      package: {} bytes  sha256 {}",
                    f.package_bytes.unwrap_or_default(),
                    f.package_sha256.map(|d| d.hex()).unwrap_or_default()
                )?;
                writeln!(
                    out,
                    "      portal:  {portal_bytes} bytes  sha256 {portal_sha256}"
                )?;
            }
            PortalStatus::MissingOnPortal => {
                writeln!(out, "  MISSING          {} is not on the portal", f.key)?
            }
            PortalStatus::NotInPackage => writeln!(
                out,
                "  NOT IN PACKAGE   {} (resource {}) is on the portal but not in the package",
                f.key,
                f.resource_id.as_deref().unwrap_or("?")
            )?,
            PortalStatus::Unreadable { error } => {
                writeln!(out, "  UNREADABLE       {}: {error}", f.key)?
            }
        }
    }
    let matched = remote
        .files
        .iter()
        .filter(|f| f.status == PortalStatus::Match)
        .count();
    writeln!(
        out,
        "{}: {matched} of {} files match, {} bytes downloaded; {}",
        located.reference,
        remote.files.len(),
        remote.bytes_downloaded,
        if local.is_ok() && remote.is_ok() {
            "the portal serves exactly the package"
        } else if remote.has_failures() {
            "the portal could not be read in full"
        } else {
            "the portal and the package differ"
        }
    )
}
