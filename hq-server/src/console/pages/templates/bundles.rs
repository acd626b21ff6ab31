//! The bundle upload (`/bundles`): a branch's outbox brought by hand as bundle files (`branch-node
//! bundle export`), uploaded from the browser and applied as `hq-server admin bundle import`
//! applies them: every file checked whole first (`bundle_files`), then sent one by one in
//! sequence order as `Admin/ImportBundle`; each file's acknowledgement (applied, duplicates,
//! quarantined, HQ's position) is shown. The form's CSRF field must come first: no file of a
//! form without it is read.

use super::super::super::ctx::{Ctx, CSRF_FIELD};
use super::super::super::error::ConsoleError;
use super::super::super::i18n::Lang;
use super::super::super::layout::Nav;
use super::super::super::words;
use crate::bundle_files::{in_upload_order, BundleFile, BundleRange};
use crate::console::state::Console;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{BundleUpload, PushAck};
use maud::{html, Markup};

/// The page's address.
const PATH: &str = "/bundles";
/// Most files one upload takes (the request's size is bounded too, by `limits.max_message_bytes`).
const FILES_MAX: usize = 100;

pub(super) fn routes() -> Router<Console> {
    Router::new().route(PATH, get(show).post(upload))
}

/// The templates page's way here.
pub(super) fn link(lang: Lang) -> Markup {
    html! {
        section.panel id="bundles-link" {
            h2 { (lang.t("导入 bundle 文件", "Import bundle files")) }
            p.muted {
                (lang.t(
                    "没有网络的分支机构用 branch-node bundle export 导出的 outbox，可以在这里上传。",
                    "A branch without network exports its outbox with branch-node bundle export; upload the files here.",
                ))
            }
            a.button id="to-bundles" href=(PATH) { (lang.t("上传 bundle 文件", "Upload bundle files")) }
        }
    }
}

fn title(lang: Lang) -> &'static str {
    lang.t("导入 bundle 文件", "Import bundle files")
}

async fn show(ctx: Ctx) -> Markup {
    page(&ctx, None)
}

/// The page: `answer` (what an upload did) above the upload form.
fn page(ctx: &Ctx, answer: Option<Markup>) -> Markup {
    let lang = ctx.lang;
    let body = html! {
        @if let Some(answer) = answer {
            (answer)
        }
        section.panel id="upload" {
            p.muted {
                (lang.t(
                    "分支机构 outbox 的 bundle 文件（branch-node bundle export，大量积压时是多个文件）。可以一次选多个文件，顺序不限：总部先检查每个文件都完整，再按序号范围依次应用，与网络推送的保证相同；重复导入不会重复应用。",
                    "A branch's outbox as bundle files (branch-node bundle export; a large backlog is several files). Choose several at once, in any order: HQ checks that every file is whole, then applies them in sequence order, with the same guarantees as a network push; importing a file again applies nothing twice.",
                ))
            }
            form.stacked method="post" action=(PATH) enctype="multipart/form-data" {
                (ctx.csrf_field())
                label {
                    (lang.t("bundle 文件", "Bundle files"))
                    input id="bundle-files" name="file" type="file" multiple required;
                }
                button id="bundle-submit" type="submit" { (lang.t("导入", "Import")) }
            }
            p { a href=(Nav::Templates.path()) { (lang.t("返回", "Back to ")) (lang.w(words::TEMPLATE)) } }
        }
    };
    ctx.page(Nav::Templates, title(lang), body)
}

fn unreadable(error: MultipartError) -> ConsoleError {
    ConsoleError::bad_input(format!("the upload could not be read: {}", error.body_text()))
}

/// The form's files, once its first field proved to be this session's CSRF token.
async fn read_files(ctx: &Ctx, mut multipart: Multipart) -> Result<Vec<BundleFile>, ConsoleError> {
    let csrf = match multipart.next_field().await.map_err(unreadable)? {
        Some(field) if field.name() == Some(CSRF_FIELD) => field.text().await.map_err(unreadable)?,
        _ => String::new(),
    };
    ctx.check_csrf(&csrf)?;
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(unreadable)?.to_vec();
        // A file input left empty still sends a part, without a name or bytes.
        if name.is_empty() && bytes.is_empty() {
            continue;
        }
        if files.len() == FILES_MAX {
            return Err(ConsoleError::bad_input(format!(
                "more than {FILES_MAX} files in one upload: upload them in several goes, earliest first"
            )));
        }
        files.push(BundleFile {
            name: if name.is_empty() {
                format!("file {}", files.len() + 1)
            } else {
                name
            },
            bytes,
        });
    }
    if files.is_empty() {
        return Err(ConsoleError::bad_input(
            "no file was chosen: choose the bundle files",
        ));
    }
    Ok(files)
}

/// One file HQ took, with what it answered.
struct Imported {
    name: String,
    range: BundleRange,
    ack: PushAck,
}

async fn upload(ctx: Ctx, multipart: Multipart) -> Result<Response, ConsoleError> {
    let files = read_files(&ctx, multipart).await?;
    let ordered = in_upload_order(files).map_err(|error| ConsoleError::bad_input(error.to_string()))?;
    let n_files = ordered.len();
    let mut imported = Vec::with_capacity(n_files);
    for bundle in ordered {
        let name = bundle.file.name;
        let request = ctx.request(BundleUpload {
            bundle: bundle.file.bytes,
        });
        match ctx.admin().import_bundle(request).await {
            Ok(ack) => imported.push(Imported {
                name,
                range: bundle.range,
                ack: ack.into_inner(),
            }),
            Err(status) => {
                let mut error = ConsoleError::from(status);
                error.message = format!("{name}: {}", error.message);
                if imported.is_empty() || error.status == axum::http::StatusCode::UNAUTHORIZED {
                    return Err(error);
                }
                let n_not_sent = n_files - imported.len() - 1;
                let answer = answer(ctx.lang, &imported, Some((&error, n_not_sent)));
                return Ok((error.status, page(&ctx, Some(answer))).into_response());
            }
        }
    }
    Ok(page(&ctx, Some(answer(ctx.lang, &imported, None))).into_response())
}

/// What the upload did: a row per file HQ took, then the refusal that stopped it, if one did,
/// with how many files after it were not sent.
fn answer(lang: Lang, imported: &[Imported], refused: Option<(&ConsoleError, usize)>) -> Markup {
    html! {
        section.panel id="imported" {
            table.grid {
                thead {
                    tr {
                        th { (lang.t("文件", "File")) }
                        th { (lang.w(words::BRANCH)) }
                        th.num { (lang.t("纪元", "Epoch")) }
                        th { (lang.t("序号", "Seq")) }
                        th.num { (lang.t("已应用", "Applied")) }
                        th.num { (lang.t("重复", "Duplicates")) }
                        th.num { (lang.t("隔离", "Quarantined")) }
                        th.num { (lang.t("总部已有到", "HQ holds up to seq")) }
                    }
                }
                tbody {
                    @for file in imported {
                        tr.imported {
                            td.file { (file.name) }
                            td { (file.range.source) }
                            td.num { (file.ack.epoch) }
                            td { (file.range.first_seq) "–" (file.range.last_seq) }
                            td.num.applied { (file.ack.applied) }
                            td.num.duplicates { (file.ack.duplicates) }
                            td.num.quarantined { (file.ack.quarantined) }
                            td.num.acked-seq { (file.ack.acked_seq) }
                        }
                    }
                }
            }
            @if let Some((error, n_not_sent)) = refused {
                p.error id="error" { (error.message) }
                p.muted {
                    (match lang {
                        Lang::Zh => format!("其后的 {n_not_sent} 个文件没有发送。"),
                        Lang::En => format!("The {n_not_sent} files after it were not sent."),
                    })
                }
            } @else {
                div.notice id="notice" {
                    (match lang {
                        Lang::Zh => format!("{} 个文件已导入。", imported.len()),
                        Lang::En => format!("{} files imported.", imported.len()),
                    })
                }
            }
        }
    }
}
