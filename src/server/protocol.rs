//! JSON-RPC over stdio: reading `Content-Length` frames, writing messages, and the
//! plumbing every request and notification shares (sending, decoding parameters).

use std::io::{self, BufRead, Read};
use std::thread;

use lsp_server::{Connection, Message};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A message as read from stdin, or why it could not be one.
enum Frame {
    Message(Message),
    Malformed(String),
}

/// The stdio transport. `lsp_server`'s own ends the session at the first message it
/// cannot parse; this one reads the frames itself, skips a frame that is not JSON-RPC
/// (saying so on stderr) and goes on with the next.
pub(crate) fn stdio() -> io::Result<(Connection, thread::JoinHandle<io::Result<()>>)> {
    let (server, transport) = Connection::memory();
    let Connection {
        sender: to_server,
        receiver: from_server,
    } = transport;
    thread::Builder::new()
        .name("dormlint-lsp-reader".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            // Dropping `to_server` at the end tells the server the client is gone.
            while let Ok(Some(frame)) = read_frame(&mut input) {
                match frame {
                    Frame::Message(message) => {
                        let exit =
                            matches!(&message, Message::Notification(n) if n.method == "exit");
                        if to_server.send(message).is_err() || exit {
                            break;
                        }
                    }
                    Frame::Malformed(reason) => {
                        eprintln!("dormlint server: skipped a malformed message: {reason}");
                    }
                }
            }
        })?;
    let writer = thread::Builder::new()
        .name("dormlint-lsp-writer".to_string())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for message in from_server {
                message.write(&mut out)?;
            }
            Ok(())
        })?;
    Ok((server, writer))
}

/// Reads one `Content-Length` framed message; `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Frame>> {
    let mut length = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let header = String::from_utf8_lossy(&line);
        let header = header.trim_end_matches(['\n', '\r']);
        if header.is_empty() {
            if saw_header {
                break;
            }
            // Stray blank lines between messages are harmless.
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<u64>().ok();
        }
    }
    let Some(length) = length else {
        return Ok(Some(Frame::Malformed(
            "no valid Content-Length header".to_string(),
        )));
    };
    // Read through `take`, not into a buffer of the announced size: a wrong length
    // must not allocate gigabytes up front.
    let mut body = Vec::new();
    input.by_ref().take(length).read_to_end(&mut body)?;
    if (body.len() as u64) < length {
        return Ok(None);
    }
    Ok(Some(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Frame::Message(message),
        Err(error) => Frame::Malformed(error.to_string()),
    }))
}

pub(crate) fn send(connection: &Connection, message: impl Into<Message>) -> io::Result<()> {
    connection.sender.send(message.into()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the connection to the client is closed",
        )
    })
}

pub(crate) fn params<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|error| format!("invalid parameters: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_that_are_not_json_rpc_are_skipped_and_reading_goes_on() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\n{{oops\r\nContent-Length: {}\r\n\r\n{good}Content-Length: 99\r\n\r\n{{",
            good.len()
        );
        let mut input = io::Cursor::new(input.into_bytes());
        assert!(matches!(
            read_frame(&mut input).unwrap(),
            Some(Frame::Malformed(_))
        ));
        assert!(matches!(
            read_frame(&mut input).unwrap(),
            Some(Frame::Message(Message::Notification(n))) if n.method == "initialized"
        ));
        assert!(read_frame(&mut input).unwrap().is_none(), "truncated body");
    }
}
