# ci/coverage.awk - `gcov -b -n` output to one line per source file, with
# line and branch coverage, and a total per directory (make coverage).
function pct(s,  p) {            # "Lines executed:93.28% of 119" -> "93.28 119"
	sub(/^[^:]*:/, "", s)
	split(s, p, "% of ")
	return p[1] " " p[2]
}
/^File '/ {
	f = $0; sub(/^File '/, "", f); sub(/'$/, "", f)
	keep = f ~ /\.c$/ && f !~ /^\//
	got = 0
	if (keep && !(f in seen)) { seen[f] = 1; order[++n] = f }
	next
}
# the first Lines line of a block is the file's; gcov ends with a grand total
keep && /^Lines executed:/ && !got { split(pct($0), a, " "); lp[f] = a[1]; ln[f] = a[2]; got = 1 }
keep && /^Taken at least once:/ { split(pct($0), a, " "); bp[f] = a[1]; bn[f] = a[2] }
END {
	printf "%-32s %8s %6s %9s %6s\n", "file", "lines", "of", "branches", "of"
	for (i = 1; i <= n; i++) {
		f = order[i]; d = f; sub(/\/[^\/]*$/, "", d)
		if (!(d in dl)) dorder[++nd] = d
		dl[d] += lp[f] * ln[f] / 100; dL[d] += ln[f]
		db[d] += bp[f] * bn[f] / 100; dB[d] += bn[f]
		printf "%-32s %7.1f%% %6d %8.1f%% %6d\n", f, lp[f], ln[f], bp[f], bn[f]
	}
	for (i = 1; i <= nd; i++) {
		d = dorder[i]
		printf "%-32s %7.1f%% %6d %8.1f%% %6d\n", d "/ (total)", \
			dL[d] ? 100 * dl[d] / dL[d] : 0, dL[d], dB[d] ? 100 * db[d] / dB[d] : 0, dB[d]
	}
}
