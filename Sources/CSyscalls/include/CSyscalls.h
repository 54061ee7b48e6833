#ifndef AECODEC_CSYSCALLS_H
#define AECODEC_CSYSCALLS_H

/// syncfs(2) on Linux (flush every file of the filesystem holding `fd`, and wait),
/// sync(2) elsewhere. Returns 0, or -1 with errno set.
int aecodec_syncfs(int fd);

#endif
