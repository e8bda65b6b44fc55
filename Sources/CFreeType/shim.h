// FreeType 2 (text rasterisation for Plot). FreeType's public headers are reached through
// ft2build.h's macro includes, which Swift cannot spell; this header includes them once.
#include <ft2build.h>
#include FT_FREETYPE_H

/// FT_LOAD_* flags are `(1L << n)` macros; fixed-type constants keep Swift call sites plain.
static const int aslsh_ft_load_render = FT_LOAD_RENDER;
static const int aslsh_ft_load_target_light = FT_LOAD_TARGET_LIGHT;
static const int aslsh_ft_load_no_hinting = FT_LOAD_NO_HINTING;
