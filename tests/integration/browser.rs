//! Every HTML report in a real browser (issue 22): headless Chromium from Debian's
//! packages, driven over WebDriver (chromedriver, through fantoccini), with axe-core
//! injected into each page. The test asserts no serious or critical accessibility
//! violation (WCAG 2.1 A and AA rules), that dates and references sit on one line at a
//! narrow width, and that each page prints on letter paper; it writes a screenshot of
//! each to `tests/browser/screenshots/`.
//!
//! `tests/browser/setup.sh` installs Chromium, chromedriver and axe-core. Without them
//! the test says it is skipped, except under `CI=true`, where it fails.
// See: issue 22

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::{PrintConfiguration, PrintSize};
use serde_json::{json, Value};

use crate::reports::year_workdir;

struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    axe: PathBuf,
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn tools() -> Result<Tools, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let axe = root.join("node_modules/axe-core/axe.min.js");
    let chromium = which("chromium").ok_or("chromium is not installed")?;
    let chromedriver = which("chromedriver").ok_or("chromedriver is not installed")?;
    if !axe.is_file() {
        return Err(format!("{} is missing", axe.display()));
    }
    Ok(Tools {
        chromium,
        chromedriver,
        axe,
    })
}

/// Stops chromedriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver on a free loopback port and waits (bounded) until it listens.
fn start_driver(t: &Tools) -> (Driver, u16) {
    // chromedriver takes no port 0: ask the system for a free one, then hand it over.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&t.chromedriver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    for _ in 0..200 {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return (driver, port);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromedriver did not listen on 127.0.0.1:{port} within 10 s");
}

/// axe's findings, reduced to what the assertion and the log need.
const RUN_AXE: &str = "const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
  .then(r => done({ passes: r.passes.length, violations: r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })) }))
  .catch(e => done({ error: String(e) }));";

/// Cells of dates and references whose text spans more than one line.
const WRAPPED: &str = "return [...document.querySelectorAll('td.c, th.c')].filter(td => {
  const r = document.createRange(); r.selectNodeContents(td);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return tops.size > 1;
}).map(td => td.textContent);";

#[test]
fn every_html_report_passes_axe_in_headless_chromium() {
    let t = match tools() {
        Ok(t) => t,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{why}: CI must run the browser test; run tests/browser/setup.sh")
        }
        Err(why) => {
            eprintln!("browser test skipped: {why} (run tests/browser/setup.sh)");
            return;
        }
    };
    let w = year_workdir();
    let mut pages = Vec::new();
    for lang in ["en", "fr"] {
        for (name, args) in [
            ("report", vec!["report", "--as-of", "2026-11-30"]),
            ("owners", vec!["report", "owners", "--as-of", "2026-11-30"]),
            ("plan", vec!["report", "plan", "--as-of", "2026-11-30"]),
            ("progress", vec!["report", "progress", "--month", "2026-11"]),
        ] {
            let file = format!("{name}-{lang}.html");
            let mut a = args.clone();
            a.extend(["--format", "html", "--lang", lang, "-o", &file]);
            w.run(&a).expect(0);
            pages.push((file.clone(), w.path(&file)));
        }
    }
    let axe = std::fs::read_to_string(&t.axe).unwrap();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (_driver, port) = start_driver(&t);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": t.chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=1280,2000",
                ],
            }),
        );
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");

        let mut failures = Vec::new();
        for (name, path) in &pages {
            let url = format!("file://{}", path.display());
            client.goto(&url).await.unwrap();
            client.execute(&axe, vec![]).await.unwrap();
            let result = client.execute_async(RUN_AXE, vec![]).await.unwrap();
            assert!(
                result.get("error").is_none(),
                "{name}: axe failed: {result}"
            );
            let violations = result["violations"].as_array().cloned().unwrap_or_default();
            let serious: Vec<&Value> = violations
                .iter()
                .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
                .collect();
            eprintln!(
                "{name}: axe {} rules passed, {} violations ({} serious or critical): {}",
                result["passes"],
                violations.len(),
                serious.len(),
                violations
                    .iter()
                    .map(|v| format!("{} ({})", v["id"], v["impact"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !serious.is_empty() {
                failures.push(format!("{name}: {serious:?}"));
            }
            let png = client.screenshot().await.unwrap();
            assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
            std::fs::write(shots.join(name.replace(".html", ".png")), png).unwrap();

            // At a phone's width, tables squeeze: dates and references must still
            // sit on one line.
            client.set_window_size(420, 900).await.unwrap();
            let wrapped = client.execute(WRAPPED, vec![]).await.unwrap();
            assert_eq!(wrapped, json!([]), "{name}: wrapped mid-word at 420 px");
            client.set_window_size(1280, 2000).await.unwrap();

            let pdf = client
                .print(
                    PrintConfiguration::builder()
                        .size(PrintSize::US_LETTER)
                        .build()
                        .unwrap(),
                )
                .await
                .unwrap();
            assert!(
                pdf.starts_with(b"%PDF"),
                "{name}: printing on letter paper failed"
            );
        }
        client.close().await.unwrap();
        assert!(
            failures.is_empty(),
            "serious or critical violations:\n{}",
            failures.join("\n")
        );
    });
}
