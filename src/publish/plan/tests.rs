use super::*;
use serde_json::json;

fn local() -> LocalDataset {
    let mut fields = Map::new();
    fields.insert("name".into(), json!("ds"));
    fields.insert("title".into(), json!("Title"));
    fields.insert("owner_org".into(), json!("org"));
    fields.insert("tags".into(), json!([{ "name": "a" }]));
    let res = |key: &str, body: &[u8]| {
        let mut f = Map::new();
        f.insert("name".into(), json!(format!("{key} file")));
        f.insert("format".into(), json!("CSV"));
        f.insert(KEY_FIELD.into(), json!(key));
        LocalResource {
            key: key.into(),
            path: PathBuf::from(format!("{key}.csv")),
            file_name: format!("{key}.csv"),
            sha256: Sha256Digest::of(body),
            bytes: body.len() as u64,
            fields: f,
        }
    };
    LocalDataset {
        lookup: "ds".into(),
        fields,
        resources: vec![res("t.csv", b"abc"), res("u.csv", b"xyz")],
    }
}

fn remote_res(id: &str, key: &str, body: &[u8]) -> Json {
    json!({
        "id": id, "name": format!("{key} file"), "format": "CSV", "size": body.len(),
        KEY_FIELD: key, "ogpipe_sha256": Sha256Digest::of(body).hex()
    })
}

fn remote(resources: Vec<Json>) -> Json {
    json!({
        "id": "uuid", "name": "ds", "title": "Title", "owner_org": "org-uuid", "private": false,
        "state": "active",
        "tags": [{ "name": "a", "id": "t1", "display_name": "a" }],
        "resources": resources,
    })
}

fn kinds(p: &PublishPlan) -> Vec<&'static str> {
    p.steps
        .iter()
        .map(|s| match s {
            Step::CreateDataset { .. } => "create",
            Step::PatchDataset { .. } => "patch",
            Step::UploadResource { .. } => "upload",
            Step::ReplaceFile { .. } => "replace",
            Step::PatchResource { .. } => "patch_resource",
            Step::DeleteResource { .. } => "delete",
            Step::TouchDataset => "touch",
            Step::MakePublic { .. } => "public",
        })
        .collect()
}

fn none() -> BTreeMap<String, RecordedResource> {
    BTreeMap::new()
}

#[test]
fn a_new_dataset_is_created_private_filled_then_made_public() {
    let p = plan(Profile::Ckan, &local(), None, &none());
    assert_eq!(kinds(&p), ["create", "upload", "upload", "public"]);
    let Step::CreateDataset { fields } = &p.steps[0] else {
        panic!()
    };
    assert_eq!(fields["private"], json!(true));
}

#[test]
fn open_canada_drafts_are_not_ready_to_publish() {
    let p = plan(Profile::OpenCanada, &local(), None, &none());
    let Step::CreateDataset { fields } = &p.steps[0] else {
        panic!()
    };
    assert_eq!(fields["ready_to_publish"], json!("false"));
    let Step::MakePublic { fields } = p.steps.last().unwrap() else {
        panic!()
    };
    assert_eq!(fields["ready_to_publish"], json!("true"));
}

#[test]
fn nothing_changed_means_no_steps() {
    let r = remote(vec![
        remote_res("r1", "t.csv", b"abc"),
        remote_res("r2", "u.csv", b"xyz"),
    ]);
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    assert!(p.is_noop(), "{:?}", p.steps);
    assert_eq!(p.unchanged, ["t.csv", "u.csv"]);
}

#[test]
fn changed_metadata_is_patched_with_only_the_changed_keys() {
    let mut r = remote(vec![
        remote_res("r1", "t.csv", b"abc"),
        remote_res("r2", "u.csv", b"xyz"),
    ]);
    r["title"] = json!("Old title");
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    let Step::PatchDataset { changed, fields } = &p.steps[0] else {
        panic!("{:?}", p.steps)
    };
    assert_eq!(changed, &["title"]);
    assert_eq!(fields.len(), 1);
}

#[test]
fn a_changed_file_is_replaced_and_a_new_one_uploaded() {
    let r = remote(vec![remote_res("r1", "t.csv", b"OLD")]);
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    assert_eq!(kinds(&p), ["replace", "upload"]);
}

#[test]
fn resources_dropped_from_the_manifest_are_deleted_but_foreign_ones_kept() {
    let r = remote(vec![
        remote_res("r1", "t.csv", b"abc"),
        remote_res("r2", "u.csv", b"xyz"),
        remote_res("r3", "old.csv", b"gone"),
        json!({ "id": "r4", "name": "added by hand", "url": "https://example.org" }),
    ]);
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    // CKAN's resource_delete leaves metadata_modified as it was: the touch advances it.
    assert_eq!(kinds(&p), ["delete", "touch"]);
    let Step::DeleteResource { resource_id, .. } = &p.steps[0] else {
        panic!()
    };
    assert_eq!(resource_id, "r3");
}

#[test]
fn twins_left_by_a_crash_are_removed() {
    let r = remote(vec![
        remote_res("r1", "t.csv", b"abc"),
        remote_res("r1b", "t.csv", b"abc"),
        remote_res("r2", "u.csv", b"xyz"),
    ]);
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    assert_eq!(kinds(&p), ["delete", "touch"]);
}

#[test]
fn a_date_compares_as_a_date_as_the_registry_returns_it() {
    let mut l = local();
    l.fields
        .insert("date_published".into(), json!("2026-04-01"));
    let mut r = remote(vec![
        remote_res("r1", "t.csv", b"abc"),
        remote_res("r2", "u.csv", b"xyz"),
    ]);
    r["date_published"] = json!("2026-04-01 00:00:00");
    assert!(plan(Profile::Ckan, &l, Some(&r), &none()).is_noop());
    r["date_published"] = json!("2026-04-02 00:00:00");
    assert_eq!(
        kinds(&plan(Profile::Ckan, &l, Some(&r), &none())),
        ["patch"]
    );
}

#[test]
fn the_registry_forcing_private_does_not_unpublish_under_open_canada() {
    let mut r = remote(vec![
        remote_res("r1", "t.csv", b"abc"),
        remote_res("r2", "u.csv", b"xyz"),
    ]);
    r["private"] = json!(true);
    r["ready_to_publish"] = json!("true");
    assert!(plan(Profile::OpenCanada, &local(), Some(&r), &none()).is_noop());
    r["ready_to_publish"] = json!("false");
    assert_eq!(
        kinds(&plan(Profile::OpenCanada, &local(), Some(&r), &none())),
        ["public"]
    );
}

#[test]
fn a_draft_left_by_a_killed_run_is_finished() {
    let mut r = remote(vec![remote_res("r1", "t.csv", b"abc")]);
    r["private"] = json!(true);
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    assert_eq!(kinds(&p), ["upload", "public"]);
}

#[test]
fn without_the_portal_field_the_journal_and_size_decide() {
    let mut a = remote_res("r1", "t.csv", b"abc");
    a.as_object_mut().unwrap().remove("ogpipe_sha256");
    let b = remote_res("r2", "u.csv", b"xyz");
    let r = remote(vec![a, b]);
    assert_eq!(
        kinds(&plan(Profile::Ckan, &local(), Some(&r), &none())),
        ["replace"]
    );
    let mut rec = BTreeMap::new();
    rec.insert(
        "t.csv".to_string(),
        RecordedResource {
            resource_id: "r1".into(),
            sha256: Sha256Digest::of(b"abc"),
        },
    );
    assert!(plan(Profile::Ckan, &local(), Some(&r), &rec).is_noop());
}

#[test]
fn a_deleted_dataset_is_restored() {
    let mut r = remote(vec![
        remote_res("r1", "t.csv", b"abc"),
        remote_res("r2", "u.csv", b"xyz"),
    ]);
    r["state"] = json!("deleted");
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    let Step::PatchDataset { changed, .. } = &p.steps[0] else {
        panic!()
    };
    assert_eq!(changed, &["state"]);
}

#[test]
fn a_portal_that_drops_ogpipe_fields_is_matched_by_the_recorded_id() {
    let strip = |mut v: Json| {
        let o = v.as_object_mut().unwrap();
        o.remove(KEY_FIELD);
        o.remove("ogpipe_sha256");
        v
    };
    let r = remote(vec![
        strip(remote_res("r1", "t.csv", b"abc")),
        strip(remote_res("r2", "u.csv", b"xyz")),
    ]);
    let mut rec = BTreeMap::new();
    for (key, id, body) in [("t.csv", "r1", b"abc"), ("u.csv", "r2", b"xyz")] {
        rec.insert(
            key.to_string(),
            RecordedResource {
                resource_id: id.into(),
                sha256: Sha256Digest::of(body),
            },
        );
    }
    let p = plan(Profile::Ckan, &local(), Some(&r), &rec);
    assert!(p.is_noop(), "{:?}", p.steps);
    // Without the journal nothing identifies them: upload anew, and never delete the
    // unmarked ones (they might not be ogpipe's).
    let p = plan(Profile::Ckan, &local(), Some(&r), &none());
    assert_eq!(kinds(&p), ["upload", "upload"]);
}
