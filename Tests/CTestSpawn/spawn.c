// posix_spawn file actions that Swift's Glibc module does not expose (they need _GNU_SOURCE).
#define _GNU_SOURCE
#include <spawn.h>

#include "CTestSpawn.h"

int aecodec_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int aecodec_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
