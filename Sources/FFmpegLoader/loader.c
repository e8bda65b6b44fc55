// Every FFmpeg function aslsh calls, defined here under its own name: each forwards to the real
// function, looked up with dlsym in the library dlopen'd on first use. Swift calls FFmpeg exactly
// as before (through CFFmpeg's headers); only the binding moves from start-up to first use.
// The definitions are hidden, so the libraries' own calls between one another never bind to them.
// Prototypes must match the headers (FFmpeg 5.1, Debian 12): the compiler checks each one.
#include "ffmpeg_loader.h"
#include "lazy_library.h"

#include <libavformat/avformat.h>
#include <libavdevice/avdevice.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>

#define ASLSH_STR2(x) #x
#define ASLSH_STR(x) ASLSH_STR2(x)
// "libavformat", its soname for the headers' major version (libavformat.so.59 for FFmpeg 5.1),
// and the Debian package that ships it (the name plus the major version: libavformat59).
#define FFMPEG_LIBRARY(NAME, MAJOR)                                                          \
    {NAME ".so." ASLSH_STR(MAJOR), "video needs FFmpeg's " NAME " (" NAME ".so." ASLSH_STR(MAJOR) ")", \
     NAME ASLSH_STR(MAJOR), NULL}

// libavformat brings libavcodec and libavutil, whose symbols dlsym on its handle also finds.
enum { FORMAT, SCALE, DEVICE, LIBRARY_COUNT };
static AslshLazyLibrary libraries[LIBRARY_COUNT] = {
    FFMPEG_LIBRARY("libavformat", LIBAVFORMAT_VERSION_MAJOR),
    FFMPEG_LIBRARY("libswscale", LIBSWSCALE_VERSION_MAJOR),
    FFMPEG_LIBRARY("libavdevice", LIBAVDEVICE_VERSION_MAJOR),
};

int aslsh_ffmpeg_load(int withDevices, char *message, size_t size) {
    int status = aslsh_lazy_open(&libraries[FORMAT], message, size);
    if (status == 0) status = aslsh_lazy_open(&libraries[SCALE], message, size);
    if (status == 0 && withDevices) status = aslsh_lazy_open(&libraries[DEVICE], message, size);
    return status;
}

// FORWARD(library, return type, name, (parameters), (arguments)); FORWARD_VOID for void.
#define FORWARD(LIB, RET, NAME, PARAMS, ARGS) LAZY_FORWARD("hidden", &libraries[LIB], RET, NAME, PARAMS, ARGS)
#define FORWARD_VOID(LIB, NAME, PARAMS, ARGS) LAZY_FORWARD_VOID("hidden", &libraries[LIB], NAME, PARAMS, ARGS)

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
FORWARD(FORMAT, uint8_t *, av_stream_get_side_data, (const AVStream *stream, enum AVPacketSideDataType type, size_t *size),
        (stream, type, size))
FORWARD(FORMAT, uint8_t *, av_stream_new_side_data, (AVStream *stream, enum AVPacketSideDataType type, size_t size),
        (stream, type, size))
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
