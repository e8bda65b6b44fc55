import Foundation
import Media

/// A video (file, or a pipe such as `/dev/stdin`) through the hand tracker (video mode) and a
/// `SlidingWindowRecognizer`, window by window as frames decode — streaming, so a long or
/// endless input prints as it goes.
public enum VideoRecognition {
    /// Calls `onWindow` for every completed window; `progress(frames read, frames expected)`
    /// after each frame; stops early (returning normally) when `isCancelled`. Returns the frames read.
    @discardableResult
    public static func run(_ url: URL, recognizer: SlidingWindowRecognizer, hands: HandLandmarkSource,
                           isCancelled: () -> Bool = { false }, progress: (Int, Int?) -> Void = { _, _ in },
                           onWindow: (WindowPrediction) throws -> Void) throws -> Int {
        hands.reset()
        let reader = try VideoReader(url: url)
        var count = 0
        try reader.forEachFrame { frame in
            guard !isCancelled() else { return false }
            let found = try hands.landmarks(frame.image)
            count += 1
            progress(count, reader.info.frameCount)
            if let window = try recognizer.push(found?.values, time: frame.time) { try onWindow(window) }
            return true
        }
        if !isCancelled(), let last = try recognizer.finish() { try onWindow(last) }
        return count
    }
}
