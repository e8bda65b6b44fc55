// libpng, used only through its simplified png_image_* API (no setjmp error handling needed).
#include <png.h>

/// PNG_IMAGE_SIZE / PNG_IMAGE_ROW_STRIDE are function-like macros.
static inline size_t aslsh_png_image_size(png_imagep image) { return PNG_IMAGE_SIZE(*image); }
static inline png_uint_32 aslsh_png_row_stride(png_imagep image) { return PNG_IMAGE_ROW_STRIDE(*image); }
