// libjpeg-turbo's TurboJPEG API: decodes bit-identically to OpenCV's imread (same libjpeg-turbo IDCT).
#include <stddef.h>
#include <turbojpeg.h>
