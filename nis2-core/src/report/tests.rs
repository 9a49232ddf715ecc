use super::*;

#[test]
fn xml_escape_covers_markup_and_control_characters() {
    assert_eq!(
        escape_xml(r#"<a href="x">'&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(escape_xml("a\u{1}b\tc"), "a\u{FFFD}b\tc");
}

#[test]
fn formats_parse_and_name_the_supported_ones() {
    for f in Format::ALL {
        assert_eq!(Format::parse(f.as_str()).unwrap(), f);
        assert!(!f.content_type().is_empty() && !f.extension().is_empty());
    }
    assert_eq!(Format::parse("Markdown").unwrap(), Format::Markdown);
    let err = Format::parse("docx").unwrap_err();
    assert!(
        err.to_string().contains("docx") && err.to_string().contains("sarif"),
        "{err}"
    );
}

#[test]
fn vendor_display_prefers_a_real_name() {
    assert_eq!(VendorRef::new("a.example").display(), "a.example");
    assert_eq!(VendorRef::named("a.example", "ACME").display(), "ACME");
    assert_eq!(VendorRef::named("a.example", "  ").display(), "a.example");
}

#[test]
fn csv_fields_follow_rfc4180_and_defuse_formulas() {
    let mut s = String::new();
    machine_field(&mut s, "plain");
    s.push('|');
    machine_field(&mut s, "a,b");
    s.push('|');
    machine_field(&mut s, "say \"hi\"\nthere");
    s.push('|');
    machine_field(&mut s, "=HYPERLINK(\"x\")");
    s.push('|');
    machine_field(&mut s, "-all");
    assert_eq!(
        s,
        "plain|\"a,b\"|\"say \"\"hi\"\"\nthere\"|\"'=HYPERLINK(\"\"x\"\")\"|'-all"
    );
}

fn machine_field(out: &mut String, v: &str) {
    machine::field_for_tests(out, v);
}
