/// An sRGB colour with straight (non-premultiplied) alpha, 8 bits per channel.
public struct Color: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8, a: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }

    /// `0xRRGGBB`, opaque.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    public func withAlpha(_ alpha: Double) -> Color {
        Color(r, g, b, UInt8((max(0, min(1, alpha)) * 255).rounded()))
    }

    /// Linear interpolation in sRGB space (good enough for colour maps sampled densely).
    public func mixed(with other: Color, _ t: Double) -> Color {
        func lerp(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded()) }
        return Color(lerp(r, other.r), lerp(g, other.g), lerp(b, other.b), lerp(a, other.a))
    }

    /// Relative luminance (WCAG 2.x definition, sRGB linearised) in 0…1: decides black or white
    /// text on a filled cell.
    public var luminance: Double {
        func lin(_ c: UInt8) -> Double {
            let s = Double(c) / 255
            return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// Black or white, whichever contrasts more with `self` (WCAG contrast ratio).
    public var readableText: Color {
        let l = luminance
        return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? .black : .white
    }

    public static let white = Color(255, 255, 255)
    public static let black = Color(0, 0, 0)
    public static let clear = Color(0, 0, 0, 0)
    /// Text and axis ink: near-black reads softer than pure black in print.
    public static let ink = Color(hex: 0x222222)
    public static let gridGrey = Color(hex: 0xE3E3E3)
    public static let axisGrey = Color(hex: 0x555555)
    public static let missingGrey = Color(hex: 0xBBBBBB)
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
