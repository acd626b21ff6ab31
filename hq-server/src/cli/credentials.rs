//! Which HQ and which credential a client command uses: `--hq`/`--token`/`--ca` (or their
//! environment variables) first, then the file `hq-server login` wrote in the user's config
//! directory (mode 0600 in a 0700 directory; a file others may read is refused, as ssh does).

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Largest login file read (it holds four short lines).
const LOGIN_FILE_BYTES_MAX: u64 = 64 * 1024;

/// The connection flags every client command takes.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct HqArgs {
    /// HQ address, e.g. http://127.0.0.1:50051 (default: the one `hq-server login` saved).
    #[arg(long, env = "BRANCHLINE_HQ")]
    hq: Option<String>,
    /// The credential: the bootstrap admin token or a personal token (default: the login's).
    #[arg(long, env = "BRANCHLINE_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// PEM CA certificate that signed HQ's certificate (for an https:// address).
    #[arg(long, env = "BRANCHLINE_CA")]
    ca: Option<PathBuf>,
}

/// Where a client command connects and with what.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) hq: String,
    pub(super) token: String,
    pub(super) ca: Option<PathBuf>,
}

/// What `hq-server login` keeps: the HQ, the account, its token and the CA to trust.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Login {
    pub(super) hq: String,
    pub(super) user: String,
    pub(super) token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) ca: Option<PathBuf>,
}

impl HqArgs {
    /// The flags (or environment) first, then the login file for whatever they leave out.
    pub(super) fn resolve(&self) -> anyhow::Result<Target> {
        let hq = non_empty(self.hq.as_deref());
        let token = non_empty(self.token.as_deref());
        if let (Some(hq), Some(token)) = (hq, token) {
            return Ok(Target {
                hq: hq.to_owned(),
                token: token.to_owned(),
                ca: self.ca.clone(),
            });
        }
        let path = login_file_path()?;
        let Some(login) = read_login(&path)? else {
            if token.is_none() {
                bail!("no credential: pass --token, set BRANCHLINE_ADMIN_TOKEN or run `hq-server login`");
            }
            bail!("no HQ address: pass --hq, set BRANCHLINE_HQ or run `hq-server login`");
        };
        if let (Some(hq), None) = (hq, token) {
            // The login's token goes only to the HQ that issued it.
            if !same_hq(hq, &login.hq) {
                bail!(
                    "the login in {} is for HQ {}, not {hq}: pass --token, or run `hq-server login --hq {hq}`",
                    path.display(),
                    login.hq
                );
            }
        }
        Ok(Target {
            hq: hq.map_or_else(|| login.hq.clone(), str::to_owned),
            token: token.map_or_else(|| login.token.clone(), str::to_owned),
            ca: self.ca.clone().or(login.ca),
        })
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|value| !value.is_empty())
}

fn same_hq(left: &str, right: &str) -> bool {
    left.trim_end_matches('/') == right.trim_end_matches('/')
}

/// `<config dir>/branchline/hq-login.toml`: `$XDG_CONFIG_HOME` or `~/.config` on Linux.
pub(super) fn login_file_path() -> anyhow::Result<PathBuf> {
    let dir =
        dirs::config_dir().context("no config directory for the login file: set HOME or XDG_CONFIG_HOME")?;
    Ok(dir.join("branchline").join("hq-login.toml"))
}

/// The login at `path`; `None` when there is no file. A file group or others may read or write
/// is refused (its token may have been seen), as is one that does not parse.
pub(super) fn read_login(path: &Path) -> anyhow::Result<Option<Login>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let metadata = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !metadata.is_file() {
        bail!("{} is not a file", path.display());
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "{path} is readable by others (mode {mode:04o}): chmod 600 {path}",
            path = path.display()
        );
    }
    let mut text = String::new();
    file.take(LOGIN_FILE_BYTES_MAX)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let login: Login = toml::from_str(&text).with_context(|| {
        format!(
            "login file {} is damaged: run `hq-server login` again",
            path.display()
        )
    })?;
    Ok(Some(login))
}

/// Writes `login` to `path` with mode 0600 (its directory 0700), replacing any earlier login
/// whole: written beside it, then renamed.
pub(super) fn write_login(path: &Path, login: &Login) -> anyhow::Result<()> {
    let dir = path.parent().context("the login file has no directory")?;
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, Permissions::from_mode(0o700))
        .with_context(|| format!("cannot make {} private (chmod 700)", dir.display()))?;
    let partial = dir.join(".hq-login.toml.part");
    match std::fs::remove_file(&partial) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("cannot remove {}", partial.display()));
        }
        _ => {}
    }
    let text = toml::to_string(login).context("encoding the login file")?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    // The mode given at creation is narrowed by the umask only; set it exactly all the same.
    file.set_permissions(Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))
}

/// Removes the login file; one already gone is not an error.
pub(super) fn remove_login(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{read_login, remove_login, write_login, Login};
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_login_is_private_and_one_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join("branchline").join("hq-login.toml");
        assert!(read_login(&path).unwrap().is_none());
        let login = Login {
            hq: "https://hq.example:50051".into(),
            user: "sz-manager".into(),
            token: "0123abcd".into(),
            ca: Some("/etc/branchline/ca.pem".into()),
        };
        write_login(&path, &login).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let read = read_login(&path).unwrap().unwrap();
        assert_eq!(
            (read.hq.as_str(), read.user.as_str(), read.token.as_str()),
            ("https://hq.example:50051", "sz-manager", "0123abcd")
        );
        assert_eq!(read.ca, login.ca);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = read_login(&path).unwrap_err().to_string();
        let shown = path.display();
        assert_eq!(
            refused,
            format!("{shown} is readable by others (mode 0644): chmod 600 {shown}")
        );
        // A new login replaces the file whole, private again.
        write_login(&path, &login).unwrap();
        assert_eq!(mode(&path), 0o600);

        std::fs::write(&path, "hq = ").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let damaged = format!("{:#}", read_login(&path).unwrap_err());
        assert!(
            damaged.contains("is damaged: run `hq-server login` again"),
            "{damaged}"
        );
        remove_login(&path).unwrap();
        remove_login(&path).unwrap();
        assert!(read_login(&path).unwrap().is_none());
    }
}
