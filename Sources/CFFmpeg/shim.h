// FFmpeg (libavformat, libavdevice, libavcodec, libswscale, libavutil).
// Shims only for what Swift cannot import: function-like macros.
#include <libavformat/avformat.h>
#include <libavdevice/avdevice.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>

/// AVERROR(e) is a function-like macro: negated POSIX errno.
static inline int aslsh_averror(int posixError) { return AVERROR(posixError); }
/// AVERROR_EOF is built from FFERRTAG, a macro Swift does not import.
static inline int aslsh_averror_eof(void) { return AVERROR_EOF; }
/// AV_NOPTS_VALUE is a cast expression macro.
static inline int64_t aslsh_av_nopts_value(void) { return AV_NOPTS_VALUE; }
/// av_err2str uses a compound literal; write into a caller buffer instead.
static inline const char *aslsh_av_strerror(int code, char *buffer, size_t size) {
    av_strerror(code, buffer, size);
    return buffer;
}
