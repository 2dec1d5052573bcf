//! Bytes to text: UTF-16 (LE or BE) or UTF-8 by their byte-order mark, UTF-8 without one, else
//! Windows-1252, decided once for a whole upload and then applied piece by piece.

use std::io;

use super::outcome::BOM;

/// Decodes raw upload bytes: UTF-16 with its BOM ("Unicode text" from Excel, PowerShell's
/// `Out-File`), UTF-8 with or without BOM (kept, `parse_text` strips it), else Windows-1252.
/// Returns the text and the encoding name `ImportOutcome::encoding` uses.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some(name) = utf16_bom(bytes) {
        let mut decoder = TextDecoder::new(name);
        return (decoder.decode(bytes, true), name);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if text.starts_with(BOM) => (text.to_string(), "utf-8-bom"),
        Ok(text) => (text.to_string(), "utf-8"),
        // A BOM says the producer meant UTF-8, so stray bad bytes are replaced, not re-read as cp1252.
        Err(_) if bytes.starts_with(b"\xEF\xBB\xBF") => (String::from_utf8_lossy(bytes).into_owned(), "utf-8-bom"),
        Err(_) => (decode_windows_1252(bytes), "windows-1252"),
    }
}

/// cp1252 as browsers read it (the WHATWG mapping: the five undefined bytes become the C1
/// controls, so nothing is lost).
fn decode_windows_1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// `utf-16le` or `utf-16be` when the bytes start with that byte-order mark.
fn utf16_bom(bytes: &[u8]) -> Option<&'static str> {
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, _)) if encoding == encoding_rs::UTF_16LE => Some("utf-16le"),
        Some((encoding, _)) if encoding == encoding_rs::UTF_16BE => Some("utf-16be"),
        _ => None,
    }
}

/// What `sniff` learned of an uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// As `decode` names it: `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be` or `windows-1252`.
    pub encoding: &'static str,
    /// Nothing but white space (and a byte-order mark).
    pub empty: bool,
    pub bytes: u64,
}

/// Reads a file once, a piece at a time, for what `decode` would decide on the whole of it
/// (UTF-8, with or without a BOM, else Windows-1252); then rewinds it.
pub fn sniff<F: io::Read + io::Seek>(file: &mut F) -> io::Result<Sniffed> {
    let mut piece = vec![0u8; 1 << 16];
    // The start of a UTF-8 sequence cut off at the end of the previous piece.
    let mut carry: Vec<u8> = Vec::new();
    let (mut bytes, mut utf8, mut empty, mut bom) = (0u64, true, true, false);
    let mut utf16 = None;
    loop {
        let n = file.read(&mut piece)?;
        if n == 0 {
            break;
        }
        let mut read = &piece[..n];
        if bytes == 0 && read.starts_with(b"\xEF\xBB\xBF") {
            (bom, read) = (true, &read[3..]);
        }
        if bytes == 0 && utf16.is_none() {
            utf16 = utf16_bom(read);
            if utf16.is_some() {
                read = &read[2..];
            }
        }
        bytes += n as u64;
        if utf16.is_some() {
            // Every other byte of ASCII text in UTF-16 is zero.
            empty = empty && read.iter().all(|b| *b == 0 || b.is_ascii_whitespace());
            continue;
        }
        empty = empty && read.iter().all(u8::is_ascii_whitespace);
        if utf8 {
            carry.extend_from_slice(read);
            match std::str::from_utf8(&carry) {
                Ok(_) => carry.clear(),
                Err(err) if err.error_len().is_none() => {
                    carry.drain(..err.valid_up_to());
                }
                Err(_) => utf8 = false,
            }
        }
    }
    file.seek(io::SeekFrom::Start(0))?;
    let encoding = match (bom, utf8 && carry.is_empty()) {
        _ if utf16.is_some() => utf16.unwrap_or("utf-16le"),
        (true, _) => "utf-8-bom",
        (false, true) => "utf-8",
        (false, false) => "windows-1252",
    };
    Ok(Sniffed { encoding, empty, bytes })
}

/// Decodes an upload piece by piece in the encoding `sniff` found (a byte-order mark is
/// dropped; bad UTF-8 bytes and unpaired UTF-16 surrogates become U+FFFD, as `decode` does).
pub struct TextDecoder(encoding_rs::Decoder);

impl TextDecoder {
    pub fn new(encoding: &str) -> Self {
        TextDecoder(match encoding {
            "windows-1252" => encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
            "utf-16le" => encoding_rs::UTF_16LE.new_decoder_with_bom_removal(),
            "utf-16be" => encoding_rs::UTF_16BE.new_decoder_with_bom_removal(),
            _ => encoding_rs::UTF_8.new_decoder_with_bom_removal(),
        })
    }

    pub fn decode(&mut self, bytes: &[u8], last: bool) -> String {
        let capacity = self
            .0
            .max_utf8_buffer_length(bytes.len())
            .unwrap_or(bytes.len() * 3 + 16);
        let mut text = String::with_capacity(capacity);
        let _ = self.0.decode_to_string(bytes, &mut text, last);
        text
    }
}
