import Foundation

/// How closely a replayed output line must match the saved one under `aslsh --check`.
public enum Tolerance: Hashable, Sendable {
    /// Character for character.
    case exact
    /// Decimals within `atol + rtol·|expected|` (or one unit in the expected value's last printed
    /// place); everything else exact.
    case numeric(rtol: Double, atol: Double)

    /// The default. A session replayed on another CPU goes through other BLAS kernels (OpenBLAS
    /// picks them per CPU; aslsh's own kernels give the same bits everywhere), so float32 sums
    /// in training round differently and the differences compound over epochs: measured, printed
    /// probabilities of the shipped sessions moved by 3e-4 relative (letters: 0.964235 saved,
    /// 0.963948 replayed) and by 1.2e-3 (quickstart: 0.907608 vs 0.906527, OpenBLAS Nehalem vs
    /// Haswell). rtol 1e-2 leaves margin over that while a real change still fails: one sample
    /// more or less right moves an accuracy over up to 100 samples by 1/n ≥ 1e-2, and a changed
    /// label, class, count or path is compared exactly. atol 1e-6 only keeps values printed as zero
    /// or nearly zero from demanding relative agreement of rounding noise.
    public static let standard = Tolerance.numeric(rtol: standardRTol, atol: standardATol)
    public static let standardRTol = 1e-2
    public static let standardATol = 1e-6

    var rtol: Double? { if case .numeric(let rtol, _) = self { return rtol } else { return nil } }
    var atol: Double? { if case .numeric(_, let atol) = self { return atol } else { return nil } }

    /// `rtol 1e-3, atol 1e-6` or `check exact`, for reports.
    var summary: String {
        switch self {
        case .exact: return "check exact"
        case .numeric(let rtol, let atol): return "rtol \(NumberText.short(rtol)), atol \(NumberText.short(atol))"
        }
    }
}

/// A number as printed: its text, value, whether it is an integer (no `.`, no exponent: counts,
/// epochs and sizes, compared exactly), and one unit in its last printed place (0.001 for
/// `0.025`, 1e-5 for `1.00e-03`), the rounding step a value near a boundary may flip by.
struct PrintedNumber: Equatable {
    var text: String
    var value: Double
    var isInteger: Bool
    var lastPlace: Double
}

/// One piece of an output line as `--check` compares it.
enum OutputToken: Equatable {
    /// A run of whitespace (its length is free unless the check is exact).
    case space(String)
    /// Words, labels, paths, punctuation, and numbers glued to them: always exact.
    case text(String)
    case number(PrintedNumber)

    var text: String {
        switch self {
        case .space(let text), .text(let text): return text
        case .number(let number): return number.text
        }
    }
}

/// Splits an output line into whitespace runs, numbers and text.
///
/// A number is `[+-]digits[.digits][e[+-]digits]`, and counts as one only when it stands apart:
/// the characters on both sides are whitespace, the line's ends, or punctuation. Letters, digits,
/// `_`, `.`, `/` and `\` glue it into the surrounding word, so file names and paths such as
/// `hello_0001.npy`, `mlp_epoch12_acc1.0000.safetensors` or `0.0s` stay exact text. A `.` right
/// after a number ends it only when no letter or digit follows (`accuracy 0.5.` is a number and
/// a full stop; `1.2.3` is text). `12.5%` is the number 12.5 then `%`; a sign belongs to the
/// number only after whitespace or punctuation (`-0.5`, `x=-0.5`, but `top-5` is `top-` and 5).
enum OutputTokenizer {
    static func tokens(_ line: String) -> [OutputToken] {
        let characters = Array(line)
        var tokens: [OutputToken] = []
        var pending = ""
        func flush() {
            if !pending.isEmpty { tokens.append(.text(pending)); pending = "" }
        }
        var i = 0
        while i < characters.count {
            if characters[i].isWhitespace {
                flush()
                var end = i
                while end < characters.count, characters[end].isWhitespace { end += 1 }
                tokens.append(.space(String(characters[i..<end])))
                i = end
            } else if let (number, end) = number(in: characters, at: i) {
                flush()
                tokens.append(.number(number))
                i = end
            } else {
                pending.append(characters[i])
                i += 1
            }
        }
        flush()
        return tokens
    }

    /// Characters that make a neighbouring number part of a word.
    static func isGlue(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c == "." || c == "/" || c == "\\"
    }

    static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    /// The number starting at `start` and the index after it, if one stands apart there.
    static func number(in characters: [Character], at start: Int) -> (PrintedNumber, Int)? {
        if start > 0, isGlue(characters[start - 1]) { return nil }
        func digits(from index: Int) -> Int {
            var end = index
            while end < characters.count, isDigit(characters[end]) { end += 1 }
            return end
        }
        var i = start
        if characters[i] == "-" || characters[i] == "+" { i += 1 }
        let integerEnd = digits(from: i)
        guard integerEnd > i else { return nil }
        i = integerEnd
        var decimals = 0
        if i + 1 < characters.count, characters[i] == ".", isDigit(characters[i + 1]) {
            let fractionEnd = digits(from: i + 1)
            decimals = fractionEnd - (i + 1)
            i = fractionEnd
        }
        var exponent = 0
        var hasExponent = false
        if i < characters.count, characters[i] == "e" || characters[i] == "E" {
            var j = i + 1
            if j < characters.count, characters[j] == "-" || characters[j] == "+" { j += 1 }
            let exponentEnd = digits(from: j)
            if exponentEnd > j, let value = Int(String(characters[(i + 1)..<exponentEnd])) {
                exponent = value
                hasExponent = true
                i = exponentEnd
            }
        }
        if i < characters.count {
            let next = characters[i]
            let gluedDot = next == "." && i + 1 < characters.count && isGlue(characters[i + 1])
            if next != "." && isGlue(next) || gluedDot { return nil }
        }
        let text = String(characters[start..<i])
        guard let value = Double(text) else { return nil }
        let isInteger = decimals == 0 && !hasExponent && !text.contains(".")
        return (PrintedNumber(text: text, value: value, isInteger: isInteger,
                              lastPlace: pow(10, Double(exponent - decimals))), i)
    }
}

/// Compares one saved output line with its replayed counterpart.
enum OutputComparison {
    /// nil when `actual` matches `expected` under `tolerance`, else why not (expected value first).
    static func mismatch(expected: String, actual: String, tolerance: Tolerance) -> String? {
        if expected == actual { return nil }
        var e = OutputTokenizer.tokens(expected)
        var a = OutputTokenizer.tokens(actual)
        guard case .numeric(let rtol, let atol) = tolerance else {
            let (x, y) = firstDifference(e, a) { $0.text == $1.text }
            return "\(quoted(x)) vs \(quoted(y)) (\(tolerance.summary))"
        }
        // Table alignment: a column's padding changes with a number's printed width, so
        // whitespace only has to be there, and leading/trailing padding not even that.
        for index in [0, -1] {
            if case .space = e[safe: index] { e.remove(at: index < 0 ? e.count - 1 : 0) }
            if case .space = a[safe: index] { a.remove(at: index < 0 ? a.count - 1 : 0) }
        }
        for (x, y) in zip(e, a) {
            switch (x, y) {
            case (.space, .space): continue
            case (.number(let n), .number(let m)) where !n.isInteger && !m.isInteger:
                if let reason = numericMismatch(expected: n, actual: m, rtol: rtol, atol: atol) { return reason }
            case (.number(let n), .number(let m)) where n.isInteger && m.isInteger:
                if n.text != m.text { return "\(n.text) vs \(m.text) (integers match exactly)" }
            case (.number, .number):
                return "\(quoted(x)) vs \(quoted(y)) (an integer and a decimal)"
            default:
                if x.text != y.text { return "\(quoted(x)) vs \(quoted(y)) (text matches exactly)" }
            }
        }
        if e.count != a.count {
            let common = min(e.count, a.count)
            return "\(rest(e, from: common)) vs \(rest(a, from: common))"
        }
        return nil
    }

    /// Why two decimals are too far apart, or nil when they are close enough.
    static func numericMismatch(expected: PrintedNumber, actual: PrintedNumber, rtol: Double, atol: Double) -> String? {
        let difference = abs(actual.value - expected.value)
        let relative = atol + rtol * abs(expected.value)
        let allowed = max(relative, expected.lastPlace)
        // 0.026 − 0.025 is 0.0010000000000000009 in binary: a rounding step is still one step.
        if difference <= allowed * (1 + 1e-9) { return nil }
        let why = relative >= expected.lastPlace
            ? "rtol \(NumberText.short(rtol)), atol \(NumberText.short(atol))"
            : "one unit in the last printed place; rtol \(NumberText.short(rtol)), atol \(NumberText.short(atol))"
        return "\(expected.text) vs \(actual.text) differ by \(NumberText.short(difference)) > tolerance \(NumberText.short(allowed)) (\(why))"
    }

    /// The first pair of tokens that `same` rejects, padding the shorter line with nil.
    private static func firstDifference(_ e: [OutputToken], _ a: [OutputToken],
                                        same: (OutputToken, OutputToken) -> Bool) -> (OutputToken?, OutputToken?) {
        for index in 0..<max(e.count, a.count) {
            let x = e[safe: index], y = a[safe: index]
            guard let x, let y else { return (x, y) }
            if !same(x, y) { return (x, y) }
        }
        return (nil, nil)
    }

    /// What one line has beyond the other's end.
    private static func rest(_ tokens: [OutputToken], from index: Int) -> String {
        index < tokens.count ? "'" + tokens[index...].map(\.text).joined() + "'" : "end of line"
    }

    private static func quoted(_ token: OutputToken?) -> String {
        token.map { "'\($0.text)'" } ?? "end of line"
    }
}

/// Short renderings of tolerances and differences: three significant digits, small values as
/// `4.01e-4` rather than `0.000401`.
enum NumberText {
    static func short(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? "0" : "\(value)" }
        guard abs(value) <= 0.01 else { return String(format: "%.3g", value) }
        var exponent = Int(floor(log10(abs(value))))
        var mantissa = String(format: "%.3g", value / pow(10, Double(exponent)))
        if abs(Double(mantissa) ?? 0) >= 10 {  // 9.9996e-4 rounds up to 1e-3
            exponent += 1
            mantissa = String(format: "%.3g", value / pow(10, Double(exponent)))
        }
        return "\(mantissa)e\(exponent)"
    }
}

fileprivate extension Array {
    /// The element at `index` (negative counts from the end), or nil.
    subscript(safe index: Int) -> Element? {
        let resolved = index < 0 ? count + index : index
        return indices.contains(resolved) ? self[resolved] : nil
    }
}
