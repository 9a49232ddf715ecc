//! The OpenAPI 3.1 document (written out by hand, so it describes exactly
//! what the handlers send) and a small self-contained docs page.

use axum::Json;
use axum::response::Html;
use nis2_core::i18n::Lang;
use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn json_body(schema: &str) -> Value {
    json!({
        "required": true,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn uuid_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
           "schema": {"type": "string", "format": "uuid"}})
}

fn page_params() -> Value {
    json!([
        {"name": "limit", "in": "query", "required": false,
         "description": "Rows to return (1–500).", "schema": {"type": "integer", "minimum": 0, "maximum": 4294967295u64}},
        {"name": "offset", "in": "query", "required": false,
         "description": "Rows to skip.", "schema": {"type": "integer", "minimum": 0, "maximum": u64::MAX}}
    ])
}

/// The errors every authenticated operation can answer.
fn auth_errors(extra: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("401".into(), error_response("Missing or invalid token"));
    m.insert("403".into(), error_response("Insufficient permissions"));
    m.insert("429".into(), rate_limited());
    m.insert("500".into(), error_response("Internal error"));
    for (code, text) in extra {
        m.insert((*code).into(), error_response(text));
    }
    m
}

fn rate_limited() -> Value {
    json!({
        "description": "Rate limit exceeded; the detail reads \"Rate limit exceeded. Retry after N seconds.\"",
        "headers": {"Retry-After": {"description": "Seconds until the limit resets.", "schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn with(mut base: serde_json::Map<String, Value>, code: &str, v: Value) -> Value {
    base.insert(code.into(), v);
    Value::Object(base)
}

const TS: &str = "date-time";

/// A response with OpenAPI links (for clients and stateful API testers).
fn linked(mut response: Value, links: Value) -> Value {
    if let Some(o) = response.as_object_mut() {
        o.insert("links".into(), links);
    }
    response
}

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

/// The OpenAPI 3.1 document of the API.
pub fn openapi_document() -> Value {
    let sec = json!([{"bearer": []}]);
    let mut formats = vec!["html", "md", "json", "csv", "junit", "sarif"];
    if cfg!(feature = "pdf") {
        formats.push("pdf");
    }
    let languages: Vec<Value> = Lang::ALL.iter().map(|l| json!(l.code())).collect();
    let mut languages_or_null = languages.clone();
    languages_or_null.push(Value::Null);
    let score = json!({"type": "integer", "minimum": 0, "maximum": 100});
    let grade = json!({"type": "string", "enum": ["A", "B", "C", "D", "F"]});
    let risk = json!({"type": "string", "enum": ["Low", "Medium", "High", "Critical"]});
    let mapping_status = json!({"type": "string", "enum": ["compliant", "partial", "non-compliant", "not_assessed"]});
    let mut mapping_props = serde_json::Map::new();
    for p in "abcdefghij".chars() {
        mapping_props.insert(format!("article_21_2{p}"), mapping_status.clone());
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "nis2 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "NIS2 supply-chain security ratings: vendors, scans, scores, letters and webhooks. \
                Rate limits: POST /scan/demo 2/min per IP; POST /scans/trigger 5/min, POST /reports/letter \
                10/min and GET endpoints 100/min per account. Webhooks (scan_completed, grade_changed, \
                critical_alert) are signed with HMAC-SHA256 of the exact body, hex in X-NIS2-Signature; \
                X-NIS2-Event-Id identifies an event for de-duplication."
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                    "description": "A JWT (HS256, or RS256/ES256 from the configured JWKS; Supabase tokens work) or a long-lived API token `nis2_…`."}
            },
            "schemas": {
                "Error": {"type": "object", "required": ["detail", "code", "timestamp"],
                    "properties": {"detail": {"type": "string"}, "code": {"type": "string"},
                                   "timestamp": {"type": "string", "format": TS}}},
                "Health": {"type": "object", "required": ["status", "version", "timestamp"],
                    "properties": {"status": {"type": "string", "enum": ["healthy"]}, "version": {"type": "string"},
                                   "timestamp": {"type": "string", "format": TS}}},
                "Vendor": {"type": "object",
                    "required": ["id", "domain", "vendor_name", "notes", "consent_given", "consent_timestamp", "status",
                                 "current_score", "current_grade", "risk_level", "last_scanned_at", "created_at"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "domain": {"type": "string"},
                        "vendor_name": nullable("string"),
                        "notes": nullable("string"),
                        "consent_given": {"type": "boolean"},
                        "consent_timestamp": {"type": "string", "format": TS},
                        "status": {"type": "string", "enum": ["pending", "scanning", "complete", "error"]},
                        "current_score": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
                        "current_grade": {"type": ["string", "null"], "enum": ["A", "B", "C", "D", "F", null]},
                        "risk_level": {"type": ["string", "null"], "enum": ["Low", "Medium", "High", "Critical", null]},
                        "last_scanned_at": {"type": ["string", "null"], "format": TS},
                        "created_at": {"type": "string", "format": TS}
                    }},
                "VendorList": {"type": "object", "required": ["vendors", "total"],
                    "properties": {"vendors": {"type": "array", "items": {"$ref": "#/components/schemas/Vendor"}},
                                   "total": {"type": "integer", "minimum": 0}}},
                "NewVendor": {"type": "object", "required": ["domain", "consent_given"],
                    "properties": {"domain": {"type": "string", "minLength": 1,
                                       "description": "A public domain name (checked by the target policy)."},
                                   "vendor_name": nullable("string"), "notes": nullable("string"),
                                   "consent_given": {"type": "boolean", "enum": [true],
                                       "description": "Must be true: you confirm that you are authorized to conduct security assessments of this domain."}}},
                "VendorCreated": {"type": "object", "required": ["id", "domain", "status", "created_at"],
                    "properties": {"id": {"type": "string", "format": "uuid"}, "domain": {"type": "string"},
                                   "status": {"type": "string", "enum": ["pending"]},
                                   "created_at": {"type": "string", "format": TS}}},
                "Message": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
                "TriggerRequest": {"type": "object", "required": ["vendor_id"],
                    "properties": {"vendor_id": {"type": "string", "format": "uuid"}}},
                "TriggerResponse": {"type": "object", "required": ["message", "vendor_id", "status"],
                    "properties": {"message": {"type": "string"}, "vendor_id": {"type": "string", "format": "uuid"},
                                   "status": {"type": "string", "enum": ["scanning"]}}},
                "ScoreData": {"type": "object",
                    "description": "The seed's SCORE DATA OBJECT (plus the method version, assessment time and findings).",
                    "required": ["score", "grade", "risk_level", "deductions", "bonuses", "nis2_mapping", "critical_risks",
                                 "positive_findings", "remediation_steps", "technical_summary", "executive_summary"],
                    "properties": {
                        "score": score, "grade": grade, "risk_level": risk,
                        "deductions": {"type": "array", "items": {"type": "object", "required": ["reason", "penalty"],
                            "properties": {"reason": {"type": "string"}, "penalty": {"type": "integer"}}}},
                        "bonuses": {"type": "array", "items": {"type": "object", "required": ["reason", "bonus"],
                            "properties": {"reason": {"type": "string"}, "bonus": {"type": "integer"}}}},
                        "nis2_mapping": {"type": "object", "properties": mapping_props},
                        "critical_risks": {"type": "array", "items": {"type": "string"}},
                        "positive_findings": {"type": "array", "items": {"type": "string"}},
                        "remediation_steps": {"type": "array", "items": {"type": "object",
                            "required": ["priority", "action", "deadline_days"],
                            "properties": {"priority": {"type": "string"}, "action": {"type": "string"},
                                           "deadline_days": {"type": "integer"}}}},
                        "technical_summary": {"type": "string"},
                        "executive_summary": {"type": "string"}
                    }},
                "ScanEntry": {"type": "object",
                    "required": ["id", "score", "grade", "risk_level", "pdf_url", "scanned_at", "score_data"],
                    "properties": {"id": {"type": "string", "format": "uuid"}, "score": score, "grade": grade,
                                   "risk_level": risk, "pdf_url": {"type": "string", "format": "uri"},
                                   "scanned_at": {"type": "string", "format": TS},
                                   "score_data": {"$ref": "#/components/schemas/ScoreData"}}},
                "ScanHistory": {"type": "object", "required": ["scans"],
                    "properties": {"scans": {"type": "array", "items": {"$ref": "#/components/schemas/ScanEntry"}}}},
                "DashboardSummary": {"type": "object",
                    "required": ["total_vendors", "scanned_this_month", "critical_risks", "average_score", "grade_distribution"],
                    "properties": {
                        "total_vendors": {"type": "integer", "minimum": 0},
                        "scanned_this_month": {"type": "integer", "minimum": 0},
                        "critical_risks": {"type": "integer", "minimum": 0},
                        "average_score": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
                        "grade_distribution": {"type": "object", "required": ["A", "B", "C", "D", "F"],
                            "properties": {"A": {"type": "integer"}, "B": {"type": "integer"}, "C": {"type": "integer"},
                                           "D": {"type": "integer"}, "F": {"type": "integer"}}}
                    }},
                "LetterRequest": {"type": "object", "required": ["vendor_id"],
                    "properties": {"vendor_id": {"type": "string", "format": "uuid"},
                                   "language": {"type": ["string", "null"], "enum": languages_or_null,
                                       "description": "The letter's language (default en). Regional forms such as de-AT are accepted too."}}},
                "LetterResponse": {"type": "object", "required": ["letter", "vendor", "language", "generated_at"],
                    "properties": {"letter": {"type": "string"}, "vendor": {"type": "string"},
                                   "language": {"type": "string"}, "generated_at": {"type": "string", "format": TS}}},
                "DemoRequest": {"type": "object", "required": ["domain"],
                    "properties": {"domain": {"type": "string", "minLength": 1,
                        "description": "A public domain name; internal names and addresses are refused."}}},
                "DemoResponse": {"type": "object",
                    "required": ["domain", "score", "grade", "risk_level", "scanned_at", "stored", "score_data"],
                    "properties": {"domain": {"type": "string"}, "score": score, "grade": grade, "risk_level": risk,
                                   "scanned_at": {"type": "string", "format": TS}, "stored": {"type": "boolean"},
                                   "score_data": {"$ref": "#/components/schemas/ScoreData"}}}
            }
        },
        "paths": {
            "/health": {"get": {"operationId": "health", "summary": "Platform health (no auth).",
                "responses": {"200": json_response("Healthy", "Health")}}},
            "/vendors": {
                "get": {"operationId": "listVendors", "summary": "All vendors of the account.", "security": sec,
                    "parameters": page_params(),
                    "responses": with(auth_errors(&[("422", "Invalid query")]), "200", linked(json_response("Vendors", "VendorList"), json!({
                        "ScanHistory": {"operationId": "scanHistory", "parameters": {"vendor_id": "$response.body#/vendors/0/id"}}
                    })))},
                "post": {"operationId": "createVendor", "summary": "Add a vendor (consent_given must be true).", "security": sec,
                    "requestBody": json_body("NewVendor"),
                    "responses": with(auth_errors(&[("400", "Invalid domain, no consent, or vendor exists"),
                                                    ("413", "Body too large"), ("415", "Not JSON"),
                                                    ("422", "Body does not match the schema")]),
                                      "201", linked(json_response("Created", "VendorCreated"), json!({
                                          "DeleteVendor": {"operationId": "deleteVendor", "parameters": {"id": "$response.body#/id"}},
                                          "ScanHistory": {"operationId": "scanHistory", "parameters": {"vendor_id": "$response.body#/id"}},
                                          "TriggerScan": {"operationId": "triggerScan", "requestBody": {"vendor_id": "$response.body#/id"}},
                                          "Letter": {"operationId": "remediationLetter", "requestBody": {"vendor_id": "$response.body#/id"}}
                                      })))}
            },
            "/vendors/{id}": {"delete": {"operationId": "deleteVendor", "summary": "Remove a vendor.", "security": sec,
                "parameters": [uuid_param("id", "Vendor id")],
                "responses": with(auth_errors(&[("404", "No such vendor in this account"), ("422", "Invalid id")]),
                                  "200", json_response("Deleted", "Message"))}},
            "/scans/trigger": {"post": {"operationId": "triggerScan", "summary": "Queue a scan (asynchronous).", "security": sec,
                "requestBody": json_body("TriggerRequest"),
                "responses": with(auth_errors(&[("404", "No such vendor in this account"), ("413", "Body too large"),
                                                ("415", "Not JSON"), ("422", "Body does not match the schema")]),
                                  "200", json_response("Queued", "TriggerResponse"))}},
            "/scans/history/{vendor_id}": {"get": {"operationId": "scanHistory", "summary": "A vendor's scans, newest first.",
                "security": sec,
                "parameters": [uuid_param("vendor_id", "Vendor id"), page_params()[0].clone(), page_params()[1].clone()],
                "responses": with(auth_errors(&[("404", "No such vendor in this account"), ("422", "Invalid id or query")]),
                                  "200", linked(json_response("History", "ScanHistory"), json!({
                                      "Report": {"operationId": "scanReport", "parameters": {"scan_id": "$response.body#/scans/0/id"}}
                                  })))}},
            "/dashboard/summary": {"get": {"operationId": "dashboardSummary", "summary": "Portfolio statistics.", "security": sec,
                "responses": with(auth_errors(&[]), "200", json_response("Summary", "DashboardSummary"))}},
            "/reports/letter": {"post": {"operationId": "remediationLetter", "summary": "A remediation letter for a vendor.",
                "security": sec, "requestBody": json_body("LetterRequest"),
                "responses": with(auth_errors(&[("400", "The vendor has no scan yet"), ("404", "No such vendor in this account"),
                                                ("413", "Body too large"), ("415", "Not JSON"),
                                                ("422", "Unsupported language or body does not match the schema")]),
                                  "200", json_response("Letter", "LetterResponse"))}},
            "/reports/{scan_id}": {"get": {"operationId": "scanReport",
                "summary": "A scan's report (the pdf_url target): PDF when built with PDF support, else HTML.",
                "security": sec,
                "parameters": [uuid_param("scan_id", "Scan id"),
                    {"name": "format", "in": "query", "required": false,
                     "description": "The report format (default: pdf when built with PDF support, else html).",
                     "schema": {"type": "string", "enum": formats}},
                    {"name": "lang", "in": "query", "required": false,
                     "description": "The report's language (default en); regional forms such as de-AT are accepted too.",
                     "schema": {"type": "string", "enum": languages}}],
                "responses": with(auth_errors(&[("404", "No such scan in this account"), ("422", "Invalid id, format or language")]),
                                  "200", json!({"description": "The report",
                                      "content": {"text/html": {"schema": {"type": "string"}},
                                                  "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}},
                                                  "application/json": {"schema": {}},
                                                  "text/markdown": {"schema": {"type": "string"}},
                                                  "text/csv": {"schema": {"type": "string"}},
                                                  "application/xml": {"schema": {"type": "string"}},
                                                  "application/sarif+json": {"schema": {}}}}))}},
            "/scan/demo": {"post": {"operationId": "demoScan",
                "summary": "Scan a public domain without storing it (no auth; 2/min per IP; private addresses are refused).",
                "requestBody": json_body("DemoRequest"),
                "responses": {
                    "200": json_response("Assessment", "DemoResponse"),
                    "400": error_response("Invalid or private target (scanning private addresses is not allowed), or the scan failed"),
                    "413": error_response("Body too large"), "415": error_response("Not JSON"),
                    "422": error_response("Body does not match the schema"),
                    "429": rate_limited(), "500": error_response("Internal error")}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document.",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/docs": {"get": {"operationId": "docs", "summary": "Interactive documentation.",
                "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}}}
        }
    })
}

pub(crate) async fn serve_document() -> Json<Value> {
    Json(openapi_document())
}

pub(crate) async fn docs() -> Html<&'static str> {
    Html(DOCS_HTML)
}

/// A self-contained docs page: reads /openapi.json, lists the operations and
/// lets you send requests with a bearer token (no external assets).
const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nis2 API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
details{border:1px solid #ccc;border-radius:6px;margin:.5rem 0;padding:.5rem}
summary{cursor:pointer;font-family:monospace}
.m{display:inline-block;width:4.5rem;font-weight:bold}
textarea,input{width:100%;font-family:monospace;box-sizing:border-box}
pre{background:#f4f4f4;padding:.5rem;overflow:auto;max-height:30rem}
</style></head><body>
<h1>nis2 API</h1>
<p id="desc"></p>
<label>Bearer token <input id="token" placeholder="JWT or nis2_… API token"></label>
<div id="ops"></div>
<script>
async function main(){
  const spec = await (await fetch('openapi.json')).json();
  document.getElementById('desc').textContent = spec.info.description;
  const ops = document.getElementById('ops');
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const d = document.createElement('details');
      const s = document.createElement('summary');
      s.innerHTML = '<span class="m"></span><span class="p"></span> — <span class="t"></span>';
      s.querySelector('.m').textContent = method.toUpperCase();
      s.querySelector('.p').textContent = path;
      s.querySelector('.t').textContent = op.summary || '';
      d.appendChild(s);
      const url = document.createElement('input'); url.value = path; d.appendChild(url);
      let body = null;
      if (op.requestBody) { body = document.createElement('textarea'); body.rows = 4; body.value = '{}'; d.appendChild(body); }
      const btn = document.createElement('button'); btn.textContent = 'Send'; d.appendChild(btn);
      const out = document.createElement('pre'); d.appendChild(out);
      const codes = document.createElement('pre'); codes.textContent = 'Responses: ' + Object.keys(op.responses).join(', '); d.appendChild(codes);
      btn.onclick = async () => {
        const headers = {};
        const t = document.getElementById('token').value.trim();
        if (t) headers['Authorization'] = 'Bearer ' + t;
        if (body) headers['Content-Type'] = 'application/json';
        const r = await fetch(url.value.replace(/^\//, ''), {method: method.toUpperCase(), headers, body: body ? body.value : undefined});
        out.textContent = r.status + ' ' + r.statusText + '\n' + await r.text();
      };
      ops.appendChild(d);
    }
  }
}
main();
</script></body></html>"#;
