/* Replays every file of a corpus directory (default: the committed
 * tests/ledger/corpus/) through fuzz_codec's LLVMFuzzerTestOneInput, so
 * that past crashes and the seed inputs are checked in every ctest run
 * without libFuzzer.  Exit 0 when all ran (a failure aborts). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	const char *dir =
	    argc > 1 ? argv[1] : XRPSE_SOURCE_DIR "/tests/ledger/corpus";
	DIR *d = opendir(dir);
	struct dirent *e;
	static uint8_t buf[1 << 20];
	size_t files = 0;
	if (!d) {
		fprintf(stderr, "fuzz_replay: cannot open %s\n", dir);
		return 1;
	}
	while ((e = readdir(d))) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		files++;
	}
	closedir(d);
	printf("fuzz_replay: %zu inputs from %s\n", files, dir);
	return files ? 0 : 1;
}
