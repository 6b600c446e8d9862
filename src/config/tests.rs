use super::*;

fn setup(toml_text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("datasets")).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let file = dir.path().join("pipeline.toml");
    std::fs::write(&file, toml_text).unwrap();
    (dir, file)
}

const MINIMAL: &str = r#"
[portal]
url = "embedded"
organization = "org"

[paths]
datasets = "datasets"
data = "data"
output = "out"
"#;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let (_d, file) = setup(MINIMAL);
    let p = Pipeline::load(&file, &env(&[])).unwrap();
    assert_eq!(p.portal.target, PortalTarget::Embedded);
    assert_eq!(p.portal.profile, Profile::OpenCanada);
    assert_eq!(p.defaults.license_id, "ca-ogl-lgo");
    assert!(p.paths.journal.ends_with("out/journal.sqlite"));
    assert!(p.portal.token.is_none());
}

#[test]
fn environment_overrides_portal_settings_and_supplies_the_token() {
    let (_d, file) = setup(MINIMAL);
    let p = Pipeline::load(
        &file,
        &env(&[
            ("OGPIPE_PORTAL_URL", "https://ckan.example.org/"),
            ("OGPIPE_PORTAL_ORGANIZATION", "other"),
            ("OGPIPE_PORTAL_TOKEN", "s3cret"),
            ("OGPIPE_PORTAL_CONCURRENCY", "2"),
        ]),
    )
    .unwrap();
    assert_eq!(
        p.portal.target,
        PortalTarget::Url("https://ckan.example.org".into())
    );
    assert_eq!(p.portal.organization, "other");
    assert_eq!(p.portal.concurrency, 2);
    assert!(p.portal.token.is_some());
    assert!(!p.portal.token_source.contains("s3cret"));
}

#[test]
fn a_token_file_is_read_when_the_variable_is_unset() {
    let (d, file) = setup(&MINIMAL.replace(
        "organization = \"org\"",
        "organization = \"org\"\ntoken_file = \"token.txt\"",
    ));
    std::fs::write(d.path().join("token.txt"), "abc\n").unwrap();
    let p = Pipeline::load(&file, &env(&[])).unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(p.portal.token.unwrap().expose_secret(), "abc");
}

#[test]
fn unknown_keys_and_bad_values_are_refused() {
    let (_d, file) = setup(&MINIMAL.replace("[paths]", "colour = 1\n[paths]"));
    assert!(matches!(
        Pipeline::load(&file, &env(&[])),
        Err(ConfigError::Parse { .. })
    ));
    let (_d, file) = setup(&format!(
        "{MINIMAL}\n[schedule]\ncron = \"every day\"\ntimezone = \"Mars/Olympus\"\n"
    ));
    let Err(ConfigError::Invalid { problems }) = Pipeline::load(&file, &env(&[])) else {
        panic!("expected problems")
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("schedule"));
    let Err(ConfigError::Invalid { problems }) =
        Pipeline::load(&file, &env(&[("OGPIPE_PORTAL_COLOUR", "x")]))
    else {
        panic!()
    };
    assert!(problems.iter().any(|p| p.contains("OGPIPE_PORTAL_COLOUR")));
}

#[test]
fn the_department_name_is_read_in_both_languages_and_neither_may_be_empty() {
    let (_d, file) = setup(&format!(
        "{MINIMAL}\n[department]\nname = {{ en = \"Canadian Security Intelligence Service\", fr = \"Service canadien du renseignement de sécurité\" }}\n"
    ));
    let p = Pipeline::load(&file, &env(&[])).unwrap();
    let name = p.department.unwrap();
    assert_eq!(name.en, "Canadian Security Intelligence Service");
    assert_eq!(name.fr, "Service canadien du renseignement de sécurité");
    assert!(Pipeline::load(&setup(MINIMAL).1, &env(&[]))
        .unwrap()
        .department
        .is_none());

    let (_d, file) = setup(&format!(
        "{MINIMAL}\n[department]\nname = {{ en = \"CSIS\", fr = \" \" }}\n"
    ));
    match Pipeline::load(&file, &env(&[])) {
        Err(ConfigError::Invalid { problems }) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("department.name.fr"), "{problems:?}");
        }
        other => panic!("expected invalid, got {other:?}"),
    }
}
