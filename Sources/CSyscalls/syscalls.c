// A libc call Swift's Glibc module does not expose (it needs _GNU_SOURCE).
#define _GNU_SOURCE
#include <unistd.h>

#include "CSyscalls.h"

int aecodec_syncfs(int fd) {
#ifdef __linux__
    return syncfs(fd);
#else
    (void)fd;
    sync();
    return 0;
#endif
}
