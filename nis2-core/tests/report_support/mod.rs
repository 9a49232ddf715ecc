//! Shared fixtures of the report tests: the sample good and weak vendors,
//! scored by the real `evaluate` and `assess`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use nis2_core::report::{LetterInput, ReportInput, Sender, VendorRef};
use nis2_core::{Assessment, History, Timestamp, assess, evaluate, samples};

pub const GOOD: &str = "good-vendor.example";
pub const WEAK: &str = "weak-vendor.example";

pub fn now() -> Timestamp {
    Timestamp::parse("2026-06-27T10:00:00Z").unwrap()
}

pub fn good() -> Assessment {
    let obs = samples::flawless_vendor(GOOD, now());
    assess(
        evaluate(&obs, now()).unwrap().as_slice(),
        &History::first_scan(now()),
    )
}

pub fn weak() -> Assessment {
    let obs = samples::weak_vendor(WEAK, now());
    assess(
        evaluate(&obs, now()).unwrap().as_slice(),
        &History::first_scan(now()),
    )
}

pub fn good_vendor() -> VendorRef<'static> {
    VendorRef::named(GOOD, "Good Vendor GmbH")
}

pub fn weak_vendor() -> VendorRef<'static> {
    VendorRef::named(WEAK, "Weak Vendor Ltd")
}

pub fn input<'a>(a: &'a Assessment, v: VendorRef<'a>) -> ReportInput<'a> {
    ReportInput::new(a, v, now().plus_days(1))
}

pub fn sender() -> Sender<'static> {
    Sender {
        name: "Dr. Erika Muster, CISO",
        organisation: "Beispiel Energie AG",
        contact: Some("security@beispiel-energie.example"),
    }
}

pub fn letter_input<'a>(a: &'a Assessment, v: VendorRef<'a>) -> LetterInput<'a> {
    LetterInput {
        assessment: a,
        vendor: v,
        sender: sender(),
        date: now().plus_days(1),
    }
}
