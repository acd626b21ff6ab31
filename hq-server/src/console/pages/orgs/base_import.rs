//! The base-data upload (导入基础资料): a multipart form with the session's CSRF field, the kind
//! and one CSV file, parsed by the same parser as `hq-server admin import` (errors name the
//! file's line) and sent as one `Admin/ImportBaseData`.

use super::super::super::ctx::{Ctx, CSRF_FIELD};
use super::super::super::error::ConsoleError;
use crate::base_csv::parse_base_csv;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use branchline_proto::v1::ImportBaseDataRequest;
use branchline_shared::BaseKind;

/// What the form carried.
#[derive(Default)]
struct Upload {
    csrf: String,
    kind: String,
    file_name: String,
    bytes: Vec<u8>,
}

/// What an import did, for the page's notice.
pub(super) struct Imported {
    pub file_name: String,
    pub kind: BaseKind,
    pub records: usize,
    pub created: u64,
    pub updated: u64,
}

fn unreadable(error: MultipartError) -> ConsoleError {
    ConsoleError::bad_input(format!("the upload could not be read: {}", error.body_text()))
}

async fn text(field: Field<'_>) -> Result<String, ConsoleError> {
    field.text().await.map_err(unreadable)
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, ConsoleError> {
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some(CSRF_FIELD) => upload.csrf = text(field).await?,
            Some("kind") => upload.kind = text(field).await?,
            Some("file") => {
                upload.file_name = field.file_name().unwrap_or_default().to_owned();
                upload.bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// Checks the CSRF field before anything else, then the file, then imports it whole.
pub(super) async fn import(ctx: &Ctx, multipart: Multipart) -> Result<Imported, ConsoleError> {
    let mut upload = read_upload(multipart).await?;
    ctx.check_csrf(&upload.csrf)?;
    let kind = BaseKind::parse(&upload.kind).map_err(|error| ConsoleError::bad_input(error.to_string()))?;
    if upload.file_name.is_empty() && upload.bytes.is_empty() {
        return Err(ConsoleError::bad_input("no file was chosen: choose a CSV file"));
    }
    if upload.file_name.is_empty() {
        upload.file_name = "the uploaded file".to_owned();
    }
    let records = parse_base_csv(&upload.file_name, &upload.bytes, kind)
        .map_err(|error| ConsoleError::bad_input(error.to_string()))?;
    let request = ImportBaseDataRequest {
        kind: kind.as_str().to_owned(),
        records: records.iter().map(Into::into).collect(),
    };
    let answer = ctx
        .admin()
        .import_base_data(ctx.request(request))
        .await?
        .into_inner();
    Ok(Imported {
        file_name: upload.file_name,
        kind,
        records: records.len(),
        created: answer.created,
        updated: answer.updated,
    })
}
