// glibc's allocator controls (mallopt), which the Glibc Swift module leaves out.
#include <malloc.h>
