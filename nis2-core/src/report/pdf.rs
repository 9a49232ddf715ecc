//! PDF reports, typeset with typst as a library (feature `pdf`).
//!
//! The layout is a typst template (`templates/*.typ`, compiled into the
//! binary); the content is the same localized model the HTML report uses,
//! handed to the template as `/data.json`, so no vendor-supplied string is
//! ever parsed as markup. Only the fonts in `nis2-core/fonts/` are used
//! (Noto Sans and Noto Sans Arabic, embedded and subset into each PDF); no
//! system font, file or clock is read.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::ecow::EcoVec;
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::i18n::Lang;

use super::portfolio::portfolio_model;
use super::{PortfolioInput, ReportError, ReportInput, model};

const REPORT_TEMPLATE: &str = include_str!("templates/report.typ");
const PORTFOLIO_TEMPLATE: &str = include_str!("templates/portfolio.typ");
const COMMON_TEMPLATE: &str = include_str!("templates/common.typ");

static FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../../fonts/NotoSansArabic-Bold.ttf"),
];

/// What every compilation shares: the standard library and the fonts,
/// parsed once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> Result<FileId, ReportError> {
    let vpath = VirtualPath::new(path).map_err(|e| ReportError::Pdf {
        reason: format!("{path}: {e:?}"),
    })?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// One document to typeset: a main template, the shared helpers and the data.
struct ReportWorld {
    main: Source,
    common: Source,
    data_id: FileId,
    data: Bytes,
}

impl ReportWorld {
    fn new(template: &str, data: Vec<u8>) -> Result<Self, ReportError> {
        Ok(Self {
            main: Source::new(file_id("/main.typ")?, template.to_owned()),
            common: Source::new(file_id("/common.typ")?, COMMON_TEMPLATE.to_owned()),
            data_id: file_id("/data.json")?,
            data: Bytes::new(data),
        })
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.common.id() {
            Ok(self.common.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_without_slash().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_without_slash().into()))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Core never reads the clock; the templates print the dates they are given.
        None
    }
}

fn diagnostics(errors: &EcoVec<SourceDiagnostic>) -> String {
    errors
        .iter()
        .map(|d| d.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// typst memoizes layout work in a process-wide cache. Every
/// [`EVICT_EVERY`] documents, results not used since the last
/// [`CACHE_MAX_AGE`] such rounds are dropped, so a long-running server that
/// renders report after report keeps a bounded cache (what the templates
/// and fonts share stays warm). Evicting walks the whole cache, so it is
/// not done after every document.
const EVICT_EVERY: usize = 4;
/// See [`EVICT_EVERY`].
const CACHE_MAX_AGE: usize = 1;

static DOCUMENTS: AtomicUsize = AtomicUsize::new(0);

fn typeset(template: &str, data: Vec<u8>) -> Result<Vec<u8>, ReportError> {
    let result = compile_and_export(template, data);
    if DOCUMENTS.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
        typst::comemo::evict(CACHE_MAX_AGE);
    }
    result
}

fn compile_and_export(template: &str, data: Vec<u8>) -> Result<Vec<u8>, ReportError> {
    let world = ReportWorld::new(template, data)?;
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|e| ReportError::Pdf {
            reason: diagnostics(&e),
        })?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|e| ReportError::Pdf {
        reason: diagnostics(&e),
    })
}

/// Renders the per-scan report as PDF: grade, score, a chart of the
/// deductions, the NIS2 Art. 21(2) table, the findings with their evidence
/// and the remediation plan, in `lang` (Arabic right to left).
pub fn pdf(input: &ReportInput<'_>, lang: Lang) -> Result<Vec<u8>, ReportError> {
    let data = serde_json::to_vec(&model(input, lang)).map_err(|e| ReportError::Json {
        reason: e.to_string(),
    })?;
    typeset(REPORT_TEMPLATE, data)
}

/// Renders the portfolio report as PDF: grade distribution chart, the
/// vendors with the lowest scores and the overdue remediation.
pub fn portfolio_pdf(input: &PortfolioInput<'_>, lang: Lang) -> Result<Vec<u8>, ReportError> {
    let data =
        serde_json::to_vec(&portfolio_model(input, lang)).map_err(|e| ReportError::Json {
            reason: e.to_string(),
        })?;
    typeset(PORTFOLIO_TEMPLATE, data)
}
