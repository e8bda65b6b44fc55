// Every FFmpeg function aslsh calls, defined here under its own name: each forwards to the real
// function, looked up with dlsym in the library dlopen'd on first use. Swift calls FFmpeg exactly
// as before (through CFFmpeg's headers); only the binding moves from start-up to first use.
// The definitions are hidden, so the libraries' own calls between one another never bind to them.
// Prototypes must match the headers (FFmpeg 5.1, Debian 12): the compiler checks each one.
#include "ffmpeg_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavdevice/avdevice.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>

#define ASLSH_STR2(x) #x
#define ASLSH_STR(x) ASLSH_STR2(x)

/// A library, by the soname the headers were built against (libavformat.so.59 for FFmpeg 5.1),
/// and the Debian package that ships it (the name plus the major version: libavformat59).
typedef struct {
    const char *name;
    const char *soname;
    int major;
    void *handle;
} Library;

enum { FORMAT, SCALE, DEVICE, LIBRARY_COUNT };
static Library libraries[LIBRARY_COUNT] = {
    {"libavformat", "libavformat.so." ASLSH_STR(LIBAVFORMAT_VERSION_MAJOR), LIBAVFORMAT_VERSION_MAJOR, NULL},
    {"libswscale", "libswscale.so." ASLSH_STR(LIBSWSCALE_VERSION_MAJOR), LIBSWSCALE_VERSION_MAJOR, NULL},
    {"libavdevice", "libavdevice.so." ASLSH_STR(LIBAVDEVICE_VERSION_MAJOR), LIBAVDEVICE_VERSION_MAJOR, NULL},
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char failure[512];

/// Opens one library (its dependencies come with it: libavformat brings libavcodec and
/// libavutil, whose symbols dlsym on its handle also finds).
static int open_library(Library *library) {
    if (library->handle) return 0;
    library->handle = dlopen(library->soname, RTLD_NOW | RTLD_LOCAL);
    if (library->handle) return 0;
    const char *reason = dlerror();
    snprintf(failure, sizeof failure,
             "video needs FFmpeg's %s (%s), which could not be loaded: %s. "
             "On Debian or Ubuntu: apt install %s%d",
             library->name, library->soname, reason ? reason : "unknown reason", library->name, library->major);
    return -1;
}

int aslsh_ffmpeg_load(int withDevices, char *message, size_t size) {
    pthread_mutex_lock(&lock);
    int status = open_library(&libraries[FORMAT]);
    if (status == 0) status = open_library(&libraries[SCALE]);
    if (status == 0 && withDevices) status = open_library(&libraries[DEVICE]);
    if (status != 0 && message && size > 0) snprintf(message, size, "%s", failure);
    pthread_mutex_unlock(&lock);
    return status;
}

/// The real function `name` from `library`, loading it if a caller skipped aslsh_ffmpeg_load.
/// Missing here is a broken installation (a library of another version): say so and stop, as the
/// dynamic loader would have at start-up.
static void *resolve(int library, const char *name) {
    pthread_mutex_lock(&lock);
    int status = open_library(&libraries[library]);
    pthread_mutex_unlock(&lock);
    void *symbol = status == 0 ? dlsym(libraries[library].handle, name) : NULL;
    if (!symbol) {
        fprintf(stderr, "aslsh: %s\n", status == 0 ? dlerror() : failure);
        abort();
    }
    return symbol;
}

// FORWARD(library, return type, name, (parameters), (arguments)); FORWARD_VOID for void.
// The pointer is resolved once; a race between two first calls stores the same value twice.
#define FORWARD(LIB, RET, NAME, PARAMS, ARGS)                                              \
    __attribute__((visibility("hidden"))) RET NAME PARAMS {                               \
        static RET(*volatile real) PARAMS;                                                \
        if (!real) real = (RET(*) PARAMS)resolve(LIB, #NAME);                               \
        return real ARGS;                                                                 \
    }
#define FORWARD_VOID(LIB, NAME, PARAMS, ARGS)                                              \
    __attribute__((visibility("hidden"))) void NAME PARAMS {                              \
        static void(*volatile real) PARAMS;                                               \
        if (!real) real = (void(*) PARAMS)resolve(LIB, #NAME);                              \
        real ARGS;                                                                        \
    }

// libavutil (found through libavformat's handle)
FORWARD_VOID(FORMAT, av_dict_free, (AVDictionary **m), (m))
FORWARD(FORMAT, int, av_dict_set, (AVDictionary **pm, const char *key, const char *value, int flags), (pm, key, value, flags))
FORWARD(FORMAT, AVFrame *, av_frame_alloc, (void), ())
FORWARD_VOID(FORMAT, av_frame_free, (AVFrame **frame), (frame))
FORWARD(FORMAT, int, av_frame_get_buffer, (AVFrame *frame, int align), (frame, align))
FORWARD(FORMAT, int, av_frame_make_writable, (AVFrame *frame), (frame))
FORWARD(FORMAT, const char *, av_get_pix_fmt_name, (enum AVPixelFormat pix_fmt), (pix_fmt))
FORWARD_VOID(FORMAT, av_log_set_level, (int level), (level))
FORWARD(FORMAT, int, av_strerror, (int errnum, char *errbuf, size_t errbuf_size), (errnum, errbuf, errbuf_size))

// libavcodec
FORWARD(FORMAT, AVPacket *, av_packet_alloc, (void), ())
FORWARD_VOID(FORMAT, av_packet_free, (AVPacket **pkt), (pkt))
FORWARD_VOID(FORMAT, av_packet_rescale_ts, (AVPacket *pkt, AVRational tb_src, AVRational tb_dst), (pkt, tb_src, tb_dst))
FORWARD_VOID(FORMAT, av_packet_unref, (AVPacket *pkt), (pkt))
FORWARD(FORMAT, AVCodecContext *, avcodec_alloc_context3, (const AVCodec *codec), (codec))
FORWARD(FORMAT, const AVCodec *, avcodec_find_encoder, (enum AVCodecID id), (id))
FORWARD(FORMAT, const AVCodec *, avcodec_find_encoder_by_name, (const char *name), (name))
FORWARD_VOID(FORMAT, avcodec_flush_buffers, (AVCodecContext *avctx), (avctx))
FORWARD_VOID(FORMAT, avcodec_free_context, (AVCodecContext **avctx), (avctx))
FORWARD(FORMAT, const char *, avcodec_get_name, (enum AVCodecID id), (id))
FORWARD(FORMAT, int, avcodec_open2, (AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options), (avctx, codec, options))
FORWARD(FORMAT, int, avcodec_parameters_copy, (AVCodecParameters *dst, const AVCodecParameters *src), (dst, src))
FORWARD(FORMAT, int, avcodec_parameters_from_context, (AVCodecParameters *par, const AVCodecContext *codec), (par, codec))
FORWARD(FORMAT, int, avcodec_parameters_to_context, (AVCodecContext *codec, const AVCodecParameters *par), (codec, par))
FORWARD(FORMAT, int, avcodec_receive_frame, (AVCodecContext *avctx, AVFrame *frame), (avctx, frame))
FORWARD(FORMAT, int, avcodec_receive_packet, (AVCodecContext *avctx, AVPacket *avpkt), (avctx, avpkt))
FORWARD(FORMAT, int, avcodec_send_frame, (AVCodecContext *avctx, const AVFrame *frame), (avctx, frame))
FORWARD(FORMAT, int, avcodec_send_packet, (AVCodecContext *avctx, const AVPacket *avpkt), (avctx, avpkt))
FORWARD(FORMAT, unsigned, avcodec_version, (void), ())

// libavformat
FORWARD(FORMAT, int, av_find_best_stream,
        (AVFormatContext *ic, enum AVMediaType type, int wanted_stream_nb, int related_stream, const AVCodec **decoder_ret, int flags),
        (ic, type, wanted_stream_nb, related_stream, decoder_ret, flags))
FORWARD(FORMAT, const AVInputFormat *, av_find_input_format, (const char *short_name), (short_name))
FORWARD(FORMAT, int, av_interleaved_write_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt))
FORWARD(FORMAT, int, av_read_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt))
FORWARD(FORMAT, int, av_seek_frame, (AVFormatContext *s, int stream_index, int64_t timestamp, int flags), (s, stream_index, timestamp, flags))
FORWARD(FORMAT, int, av_write_trailer, (AVFormatContext *s), (s))
FORWARD(FORMAT, int, avformat_alloc_output_context2,
        (AVFormatContext **ctx, const AVOutputFormat *oformat, const char *format_name, const char *filename),
        (ctx, oformat, format_name, filename))
FORWARD_VOID(FORMAT, avformat_close_input, (AVFormatContext **s), (s))
FORWARD(FORMAT, int, avformat_find_stream_info, (AVFormatContext *ic, AVDictionary **options), (ic, options))
FORWARD_VOID(FORMAT, avformat_free_context, (AVFormatContext *s), (s))
FORWARD(FORMAT, int, avformat_network_init, (void), ())
FORWARD(FORMAT, AVStream *, avformat_new_stream, (AVFormatContext *s, const AVCodec *c), (s, c))
FORWARD(FORMAT, int, avformat_open_input, (AVFormatContext **ps, const char *url, const AVInputFormat *fmt, AVDictionary **options),
        (ps, url, fmt, options))
FORWARD(FORMAT, unsigned, avformat_version, (void), ())
FORWARD(FORMAT, int, avformat_write_header, (AVFormatContext *s, AVDictionary **options), (s, options))
FORWARD(FORMAT, int, avio_closep, (AVIOContext **s), (s))
FORWARD(FORMAT, int, avio_open, (AVIOContext **s, const char *url, int flags), (s, url, flags))

// libswscale
FORWARD_VOID(SCALE, sws_freeContext, (struct SwsContext *swsContext), (swsContext))
FORWARD(SCALE, struct SwsContext *, sws_getCachedContext,
        (struct SwsContext *context, int srcW, int srcH, enum AVPixelFormat srcFormat, int dstW, int dstH,
         enum AVPixelFormat dstFormat, int flags, SwsFilter *srcFilter, SwsFilter *dstFilter, const double *param),
        (context, srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, srcFilter, dstFilter, param))
FORWARD(SCALE, int, sws_scale,
        (struct SwsContext *c, const uint8_t *const srcSlice[], const int srcStride[], int srcSliceY, int srcSliceH,
         uint8_t *const dst[], const int dstStride[]),
        (c, srcSlice, srcStride, srcSliceY, srcSliceH, dst, dstStride))
FORWARD(SCALE, unsigned, swscale_version, (void), ())

// libavdevice (cameras only)
FORWARD_VOID(DEVICE, avdevice_register_all, (void), ())
