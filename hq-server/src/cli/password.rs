//! Reading a password: prompted without echo on a terminal (twice when it is being set), or one
//! line from stdin when stdin is not a terminal, for scripts (`echo "$PW" | hq-server login ...`).

use anyhow::{bail, Context};
use std::io::{BufRead, IsTerminal};

/// Longest stdin line read as a password (HQ takes at most 1024 characters).
const PASSWORD_LINE_BYTES_MAX: u64 = 8 * 1024;

/// Whether a password is being set (asked twice on a terminal) or given (asked once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    Set,
    LogIn,
}

/// The password, from the terminal (`prompt` shown) or from stdin's first line.
pub(super) fn read_password(prompt: &str, purpose: Purpose) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        return read_password_line(std::io::stdin().lock());
    }
    let password = rpassword::prompt_password(prompt).context("reading the password")?;
    if purpose == Purpose::Set {
        let again =
            rpassword::prompt_password("The same password again: ").context("reading the password")?;
        if again != password {
            bail!("the two passwords differ; nothing was changed");
        }
    }
    if password.is_empty() {
        bail!("no password given");
    }
    Ok(password)
}

/// The first line of `input` without its line ending (other spaces are part of the password).
fn read_password_line(input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    let read = input
        .take(PASSWORD_LINE_BYTES_MAX)
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    if read == 0 {
        bail!("no password: stdin is empty (give the password as one line)");
    }
    if !line.ends_with('\n') && read as u64 == PASSWORD_LINE_BYTES_MAX {
        bail!("the password line on stdin is longer than {PASSWORD_LINE_BYTES_MAX} bytes");
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("no password: the first line of stdin is empty");
    }
    Ok(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::read_password_line;

    #[test]
    fn the_first_line_is_the_password_without_its_line_ending() {
        let read = |text: &str| read_password_line(text.as_bytes()).map_err(|error| error.to_string());
        assert_eq!(read("s3cret pass\nignored\n").unwrap(), "s3cret pass");
        assert_eq!(read("windows\r\n").unwrap(), "windows");
        assert_eq!(read("no newline").unwrap(), "no newline");
        assert!(read("").unwrap_err().contains("stdin is empty"));
        assert!(read("\nsecond")
            .unwrap_err()
            .contains("first line of stdin is empty"));
        let long = "x".repeat(9000);
        assert!(read(&long).unwrap_err().contains("longer than"));
    }
}
