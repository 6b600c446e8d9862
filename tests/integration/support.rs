//! A workdir with a copy of the samples and `pipeline.toml`, the real binary, and a mock
//! portal on a loopback port that the test can count requests on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ogpipe::portal::{self, PortalConfig, RunningPortal};
use ogpipe::vocab::Profile;

pub const BIN: &str = env!("CARGO_BIN_EXE_ogpipe");
pub const TOKEN: &str = "test-token-4f1d9c2a-known-secret";

pub struct Workdir {
    pub dir: tempfile::TempDir,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

impl Workdir {
    /// The repository's samples, schemas and pipeline.toml, in a fresh folder.
    pub fn with_samples() -> Workdir {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &root.join("samples/datasets"),
            &dir.path().join("samples/datasets"),
        );
        copy_dir(&root.join("samples/data"), &dir.path().join("samples/data"));
        copy_dir(&root.join("schemas"), &dir.path().join("schemas"));
        std::fs::copy(root.join("pipeline.toml"), dir.path().join("pipeline.toml")).unwrap();
        Workdir { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path(rel)).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// The binary in this folder, with no portal settings from the caller's environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.dir.path()).args(args);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("OGPIPE_")) {
            c.env_remove(k);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.cmd(args).output().unwrap())
    }

    /// Runs against `portal` instead of the embedded one.
    pub fn run_on(&self, portal: &TestPortal, args: &[&str]) -> Run {
        Run(self
            .cmd(args)
            .env("OGPIPE_PORTAL_URL", portal.url())
            .env("OGPIPE_PORTAL_TOKEN", TOKEN)
            .output()
            .unwrap())
    }
}

/// A finished command; `expect` checks its exit code.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// A mock portal served from a runtime the test owns.
pub struct TestPortal {
    pub rt: tokio::runtime::Runtime,
    pub portal: Option<RunningPortal>,
    /// Kept alive for the portal's lifetime.
    pub _state: tempfile::TempDir,
}

impl TestPortal {
    pub fn start(profile: Profile) -> TestPortal {
        TestPortal::start_with(PortalConfig::new(TOKEN, profile))
    }

    /// A portal with a configuration of the test's own (Registry mode, dropped fields).
    pub fn start_with(config: PortalConfig) -> TestPortal {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let state = tempfile::tempdir().unwrap();
        let portal = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .unwrap();
            portal::spawn(listener, state.path().to_path_buf(), config)
                .await
                .unwrap()
        });
        TestPortal {
            rt,
            portal: Some(portal),
            _state: state,
        }
    }

    pub fn url(&self) -> String {
        self.portal.as_ref().unwrap().url().to_string()
    }

    pub fn portal(&self) -> &RunningPortal {
        self.portal.as_ref().unwrap()
    }

    /// Actions logged so far whose name says they write.
    pub fn writes(&self) -> usize {
        self.portal()
            .requests()
            .iter()
            .filter(|r| {
                ["create", "update", "patch", "delete"]
                    .iter()
                    .any(|w| r.action.ends_with(w))
            })
            .count()
    }

    pub fn count(&self, action: &str) -> usize {
        self.portal()
            .requests()
            .iter()
            .filter(|r| r.action == action)
            .count()
    }
}

impl Drop for TestPortal {
    fn drop(&mut self) {
        if let Some(p) = self.portal.take() {
            self.rt.block_on(p.shutdown());
        }
    }
}
