import CFreeType
import Foundation

/// Regular or bold face of the plot font.
public enum FontWeight: Int, Sendable { case regular, bold }

/// One rasterised glyph: an 8-bit coverage bitmap and its placement relative to the pen.
struct Glyph {
    var index: UInt32
    var width: Int, rows: Int
    /// Offset of the bitmap's top-left from the pen position (x right, y up from the baseline).
    var left: Int, top: Int
    /// Pen advance in pixels (hinted, so integral).
    var advance: Double
    /// [rows, width] coverage.
    var bitmap: [UInt8]
}

/// Vertical metrics of the font at one pixel size.
struct FontMetrics {
    var ascent: Double, descent: Double, capHeight: Double
}

/// FreeType-backed glyph source: DejaVu Sans (Debian `fonts-dejavu-core`), opened once and shared.
/// FreeType faces are not thread-safe, so every call into it happens under one lock; rendered
/// glyphs are cached per (weight, size, character).
final class FontLibrary: @unchecked Sendable {
    static let shared = FontLibrary()

    /// Font files searched in order; `ASLSH_FONT` / `ASLSH_FONT_BOLD` override them.
    static let regularCandidates = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                                    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
                                    "/opt/homebrew/share/fonts/DejaVuSans.ttf"]
    static let boldCandidates = ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                                 "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
                                 "/opt/homebrew/share/fonts/DejaVuSans-Bold.ttf"]

    private let lock = NSLock()
    private var library: FT_Library?
    private var faces: [FontWeight: FT_Face] = [:]
    private var loadError: PlotError?
    private struct Key: Hashable { var weight: FontWeight; var size64: Int; var scalar: UInt32 }
    private var glyphs: [Key: Glyph] = [:]
    private var metrics: [Int: FontMetrics] = [:]

    private init() {
        var lib: FT_Library?
        guard FT_Init_FreeType(&lib) == 0, let lib else {
            loadError = .font("FT_Init_FreeType failed")
            return
        }
        library = lib
        let env = ProcessInfo.processInfo.environment
        for (weight, list, override) in [(FontWeight.regular, Self.regularCandidates, "ASLSH_FONT"),
                                         (.bold, Self.boldCandidates, "ASLSH_FONT_BOLD")] {
            let candidates = (env[override].map { [$0] } ?? []) + list
            for path in candidates where FileManager.default.fileExists(atPath: path) {
                var face: FT_Face?
                if FT_New_Face(lib, path, 0, &face) == 0, let face { faces[weight] = face; break }
            }
        }
        if faces[.regular] == nil {
            loadError = .font("no font file found (tried \(Self.regularCandidates.joined(separator: ", "))); "
                              + "install Debian's fonts-dejavu-core (scripts/setup.sh) or set ASLSH_FONT")
        }
        if faces[.bold] == nil { faces[.bold] = faces[.regular] }
    }

    /// Throws when no font could be opened (the first drawing call reports it).
    func check() throws { if let loadError { throw loadError } }

    private func face(_ weight: FontWeight, size: Double) -> FT_Face? {
        guard let face = faces[weight] else { return nil }
        FT_Set_Char_Size(face, 0, FT_F26Dot6((size * 64).rounded()), 72, 72)
        return face
    }

    func metrics(size: Double) -> FontMetrics {
        lock.lock(); defer { lock.unlock() }
        let key = Int((size * 64).rounded())
        if let m = metrics[key] { return m }
        guard let face = face(.regular, size: size) else { return FontMetrics(ascent: size, descent: 0, capHeight: size) }
        let sm = face.pointee.size.pointee.metrics
        var cap = size * 0.73 // DejaVu Sans cap height / em; replaced by the hinted 'H' below
        if FT_Load_Char(face, 0x48, FT_Int32(aslsh_ft_load_target_light)) == 0 {
            cap = Double(face.pointee.glyph.pointee.metrics.horiBearingY) / 64
        }
        let m = FontMetrics(ascent: Double(sm.ascender) / 64, descent: Double(-sm.descender) / 64, capHeight: cap)
        metrics[key] = m
        return m
    }

    /// Glyphs for `text` plus the kerning before each (pixels).
    func glyphs(for text: String, size: Double, weight: FontWeight) -> [(glyph: Glyph, kern: Double)] {
        lock.lock(); defer { lock.unlock() }
        guard let face = face(weight, size: size) else { return [] }
        let size64 = Int((size * 64).rounded())
        var out: [(Glyph, Double)] = []
        var previous: UInt32 = 0
        for scalar in text.unicodeScalars {
            let key = Key(weight: weight, size64: size64, scalar: scalar.value)
            let glyph: Glyph
            if let g = glyphs[key] { glyph = g } else {
                glyph = render(face, scalar.value)
                glyphs[key] = glyph
            }
            var kern = 0.0
            if previous != 0, glyph.index != 0 {
                var delta = FT_Vector()
                if FT_Get_Kerning(face, previous, glyph.index, FT_KERNING_DEFAULT.rawValue, &delta) == 0 {
                    kern = Double(delta.x) / 64
                }
            }
            out.append((glyph, kern))
            previous = glyph.index
        }
        return out
    }

    private func render(_ face: FT_Face, _ code: UInt32) -> Glyph {
        let index = FT_Get_Char_Index(face, FT_ULong(code))
        guard FT_Load_Glyph(face, index, FT_Int32(aslsh_ft_load_render | aslsh_ft_load_target_light)) == 0 else {
            return Glyph(index: 0, width: 0, rows: 0, left: 0, top: 0, advance: 0, bitmap: [])
        }
        let slot = face.pointee.glyph.pointee
        let bm = slot.bitmap
        let w = Int(bm.width), rows = Int(bm.rows)
        var bitmap = [UInt8](repeating: 0, count: w * rows)
        if let buffer = bm.buffer, w > 0, rows > 0 {
            for r in 0..<rows {
                let src = buffer + r * Int(bm.pitch)
                for c in 0..<w { bitmap[r * w + c] = src[c] }
            }
        }
        return Glyph(index: index, width: w, rows: rows, left: Int(slot.bitmap_left), top: Int(slot.bitmap_top),
                     advance: Double(slot.advance.x) / 64, bitmap: bitmap)
    }
}
