/// Colour palettes: Tableau 10 for categorical series, viridis for sequential data (heatmaps).
public enum Palette {
    /// Tableau 10 (Tableau's 2016 default categorical palette, as shipped in matplotlib's
    /// `tab10`): distinguishable, print- and colour-blind-friendlier than pure RGB hues.
    public static let tableau10: [Color] = [
        0x4E79A7, 0xF28E2B, 0xE15759, 0x76B7B2, 0x59A14F,
        0xEDC948, 0xB07AA1, 0xFF9DA7, 0x9C755F, 0xBAB0AC,
    ].map { Color(hex: $0) }

    /// The i-th categorical colour (cycles after ten).
    public static func categorical(_ i: Int) -> Color { tableau10[((i % 10) + 10) % 10] }

    /// viridis (van der Walt & Smith 2015; the 10 evenly spaced stops R's `viridisLite::viridis(10)`
    /// prints), interpolated linearly in between: perceptually uniform and monotone in lightness,
    /// so heatmap cells order correctly in greyscale print too.
    static let viridisStops: [Color] = [
        0x440154, 0x482878, 0x3E4989, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C,
        0xFDE725,
    ].map { Color(hex: $0) }

    /// "Blues" (ColorBrewer, Cynthia Brewer, colorbrewer2.org, 9-class sequential).
    static let bluesStops: [Color] = [
        0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B,
    ].map { Color(hex: $0) }
}

/// A sequential colour map from a value in 0…1 to a colour.
public enum ColorMap: String, Sendable, CaseIterable {
    case viridis, blues

    public func color(_ t: Double) -> Color {
        let stops = self == .viridis ? Palette.viridisStops : Palette.bluesStops
        let x = (t.isFinite ? max(0, min(1, t)) : 0) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], x - Double(i))
    }
}
