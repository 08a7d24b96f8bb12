/* lessons.c - the lessons, in the order a course would take them. */
#include <string.h>

#include "lesson.h"

const struct lesson *const lessons[] = {
	&lesson_race_def,
	&lesson_reorder_def,
	&lesson_visibility_def,
	&lesson_false_sharing_def,
	&lesson_private_def,
	&lesson_mapping_def,
	&lesson_unmap_def,
	&lesson_mode0000_def,
	&lesson_keys_def,
	NULL,
};

const struct lesson *lesson_find(const char *name)
{
	for (size_t i = 0; lessons[i] != NULL; i++)
		if (strcmp(lessons[i]->name, name) == 0)
			return lessons[i];
	return NULL;
}
