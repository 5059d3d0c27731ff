//! QR codes as the collector draws them, with the `qrcode` crate: SVG for
//! print (a victim's letter, a street poster) and PNG for whatever takes
//! only bitmaps. Every code keeps the standard quiet zone of four light
//! modules around it, without which phone cameras often fail to find it.
//!
//! ```text
//! invitations::qr ─┐
//! posters::qr ─────┼─► encode(text, level) ─► svg / inline_svg / png
//! posters::poster ─┘
//! ```

use crate::error::{Error, Result};
use qrcode::{Color, EcLevel, QrCode};

/// Light modules on each side of the code (ISO/IEC 18004).
pub(super) const QUIET_ZONE: usize = 4;

/// Pixels per module in a PNG: a 45-module code with its quiet zone is
/// 720 px, 60 mm at 300 dpi.
pub(super) const PNG_MODULE_PX: usize = 16;

/// `text` as a QR code with error correction `level`.
pub(super) fn encode(text: &str, level: EcLevel) -> Result<QrCode> {
    QrCode::with_error_correction_level(text.as_bytes(), level)
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// A standalone SVG document at least `min_px` wide, quiet zone included.
pub(super) fn svg(code: &QrCode, min_px: u32) -> String {
    code.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(min_px, min_px)
        .quiet_zone(true)
        .build()
}

/// The `<svg>` element alone, one unit per module, for a page to size
/// (an XML declaration has no place inside HTML).
pub(super) fn inline_svg(code: &QrCode) -> String {
    let doc = code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build();
    match doc.find("<svg") {
        Some(i) => doc[i..].to_owned(),
        None => doc,
    }
}

/// A greyscale PNG, [`PNG_MODULE_PX`] pixels a module, quiet zone included.
pub(super) fn png(code: &QrCode) -> Result<Vec<u8>> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * PNG_MODULE_PX;
    let mut pixels = vec![0xffu8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (x, y) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for row in 0..PNG_MODULE_PX {
            let start = (y * PNG_MODULE_PX + row) * side + x * PNG_MODULE_PX;
            pixels[start..start + PNG_MODULE_PX].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let fail = |e: png::EncodingError| Error::Io(std::io::Error::other(e));
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(&pixels).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://feedback.example.org/f/street-feedback?loc=bank&ch=qr";

    #[test]
    fn the_png_has_its_quiet_zone_and_whole_modules() {
        let code = encode(URL, EcLevel::H).unwrap();
        let bytes = png(&code).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let side = (code.width() + 2 * QUIET_ZONE) * PNG_MODULE_PX;
        assert_eq!((info.width as usize, info.height as usize), (side, side));
        let at = |x: usize, y: usize| buf[y * side + x];
        // The quiet zone is light all round; the finder pattern's corner
        // module, right inside it, is dark to its last pixel.
        let edge = QUIET_ZONE * PNG_MODULE_PX;
        assert!((0..edge).all(|i| at(i, i) == 0xff && at(side - 1 - i, i) == 0xff));
        assert_eq!(at(edge, edge), 0);
        assert_eq!(at(edge + PNG_MODULE_PX - 1, edge + PNG_MODULE_PX - 1), 0);
    }

    #[test]
    fn the_svg_counts_the_quiet_zone_in_its_view_box() {
        let code = encode(URL, EcLevel::H).unwrap();
        let svg = inline_svg(&code);
        let side = code.width() + 2 * QUIET_ZONE;
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(
            svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        assert!(self::svg(&code, 240).starts_with("<?xml"));
    }
}
