//! `callboard hygiene` against the live backend: the backend's own view of
//! what it could not process (`/api/catalog/entities/unprocessed/pending`
//! and `/failed`) comes into the report, with the location to fix.

use crate::backend::require_live;

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn live_hygiene_reports_the_backends_pending_entities() {
    let live = require_live();
    let dir = tempfile::tempdir().unwrap();
    let out = live
        .callboard(dir.path())
        .args(["hygiene", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(json["remote_unchecked"], serde_json::json!([]), "{stderr}");
    let findings = json["findings"].as_array().unwrap();
    let pending = findings
        .iter()
        .find(|f| f["entity_ref"] == "location:default/example-ai-resources")
        .unwrap_or_else(|| panic!("no finding for the pending Location: {json:#}"));
    assert!(
        ["processing-pending", "processing-failed"].contains(&pending["rule"].as_str().unwrap()),
        "{pending}"
    );
    assert!(
        pending["message"]
            .as_str()
            .unwrap()
            .contains("not of an allowed kind"),
        "{pending}"
    );
    assert!(
        pending["location"]
            .as_str()
            .unwrap()
            .ends_with("backstage-examples/all-ai-resources.yaml"),
        "{pending}"
    );
    // Exit 1 exactly when the report has errors.
    let errors = json["errors"].as_u64().unwrap();
    assert_eq!(
        out.status.code(),
        Some(if errors > 0 { 1 } else { 0 }),
        "{stderr}"
    );
}
