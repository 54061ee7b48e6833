#ifndef AECODEC_CTESTSPAWN_H
#define AECODEC_CTESTSPAWN_H

#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np: the child starts in `path` (glibc 2.29+).
int aecodec_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np: the child inherits no descriptor from `from`
/// on, as with Foundation's Process (glibc 2.34+).
int aecodec_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
