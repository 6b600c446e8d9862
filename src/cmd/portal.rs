//! `ogpipe portal serve`: the mock portal in the foreground, for rehearsals and drills.

use super::{tokio_runtime, Exit};
use crate::cli::{PortalCommand, ProfileArg};
use crate::portal::{self, PortalConfig};
use crate::vocab::Profile;

pub fn portal(cmd: &PortalCommand) -> anyhow::Result<Exit> {
    let PortalCommand::Serve(a) = cmd;
    let profile = match a.profile {
        ProfileArg::Ckan => Profile::Ckan,
        ProfileArg::OpenCanada => Profile::OpenCanada,
    };
    let generated = a.token.is_none();
    let token = a
        .token
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let rt = tokio_runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", a.port)).await?;
        let addr = listener.local_addr()?;
        println!(
            "mock CKAN portal at http://{addr} (state in {})",
            a.state.display()
        );
        if generated {
            // Printed once for the person who started it; never logged.
            println!("API token: {token}");
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        portal::serve(
            listener,
            a.state.clone(),
            PortalConfig::new(token, profile),
            shutdown,
        )
        .await?;
        anyhow::Ok(())
    })?;
    Ok(Exit::Ok)
}
