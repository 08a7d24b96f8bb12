/*
 * semantics.h - the list of semantics rows, one X(id) each, in report order.
 *
 * The one list both users expand: semantics_table.c declares each row's
 * probe (int probe_<id>(struct probe_result *)) and describes it, and
 * suite/semantics.c makes each a Criterion test named by the id.
 */
#ifndef IPCMP_SEMANTICS_H
#define IPCMP_SEMANTICS_H

#include "probe.h"

#define PROBE_SEMANTICS(X) \
	X(remove_while_attached) \
	X(removed_semop) \
	X(removed_semtimedop) \
	X(removed_msgrcv) \
	X(removed_msgsnd) \
	X(lock_holder_killed) \
	X(lock_owner_dead) \
	X(outlive_creator) \
	X(signal_semop) \
	X(restart_semop) \
	X(signal_semtimedop) \
	X(restart_semtimedop) \
	X(signal_msgrcv) \
	X(restart_msgrcv) \
	X(signal_msgsnd) \
	X(restart_msgsnd) \
	X(stopcont_semop) \
	X(stopcont_semtimedop) \
	X(stopcont_msgrcv) \
	X(stopcont_msgsnd) \
	X(timeout_relative) \
	X(timeout_clock) \
	X(timeout_errno) \
	X(timeout_invalid_free) \
	X(timeout_invalid_blocking) \
	X(queue_no_timeout) \
	X(chmod_after_open) \
	X(umask) \
	X(mode_0000) \
	X(remove_by_other) \
	X(size_at_create) \
	X(size_change) \
	X(touch_past_end) \
	X(map_private) \
	X(read_only) \
	X(fork_inherits) \
	X(exec_drops) \
	X(fork_semadj) \
	X(recv_buffer_small) \
	X(message_order) \
	X(message_select) \
	X(sem_max_value) \
	X(sem_initial_value) \
	X(sem_atomic_set) \
	X(sem_waiters) \
	X(poll_queue) \
	X(notify) \
	X(where_listed) \
	X(queue_listed) \
	X(key_collision) \
	X(private_object) \
	X(name_length) \
	X(ipc_namespace) \
	X(mount_namespace)

#define PROBE_DECLARE_(id) int probe_##id(struct probe_result *);
PROBE_SEMANTICS(PROBE_DECLARE_)
#undef PROBE_DECLARE_

#endif
