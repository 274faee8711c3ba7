# The closing line of .ci/run: the `test result:` lines of every test binary, plus the
# `wheel:`, `pre-commit:` and `neovim:` result lines of the shell tests. Fails when
# anything failed, nothing passed, or a shell test's result line is missing (it did not
# run to the end).
/^test result:/ {
    for (i = 1; i <= NF; i++) {
        if ($i == "passed;") p += $(i - 1)
        if ($i == "failed;") f += $(i - 1)
    }
}
/^wheel: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4; wheel = 1 }
/^pre-commit: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4; hook = 1 }
/^neovim: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4; editor = 1 }
END {
    printf "%d passed, %d failed\n", p, f
    if (!wheel) print "missing: the wheel result line (tests/wheel.sh did not finish)"
    if (!hook) print "missing: the pre-commit result line (tests/precommit.sh did not finish)"
    if (!editor) print "missing: the neovim result line (tests/editor/neovim.sh did not finish)"
    exit (p == 0 || f > 0 || !wheel || !hook || !editor)
}
