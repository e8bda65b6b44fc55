#ifndef ASLSH_FFMPEG_LOADER_H
#define ASLSH_FFMPEG_LOADER_H

#include <stddef.h>

/// Loads FFmpeg's libraries (libavformat with libavcodec and libavutil, and libswscale) the first
/// time video is used, not when aslsh starts: they pull in ~130 shared libraries (codecs, network
/// and TLS stacks) that a command which never touches video should not pay for at start-up.
/// `withDevices` also loads libavdevice (cameras; ~80 more libraries: X11, SDL, PulseAudio…).
/// Returns 0, or -1 with a message naming the missing library and its Debian package in `message`.
/// Thread-safe; later calls return the first outcome at once.
int aslsh_ffmpeg_load(int withDevices, char *message, size_t size);

#endif
