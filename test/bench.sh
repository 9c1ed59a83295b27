#!/bin/sh
# llmgw parser bench: instructions per byte and per event of each parser
# on the inputs bench_data.pl writes, counted by callgrind in bench_run().
#
#   bench.sh BENCH DIR [ITER]

bench=$1
dir=$2
iter=${3:-20}

for w in scan chat emb-b64 emb-float sse sse-fields; do
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect=bench_run "$bench" "$dir" $w $iter 2>&1 \
    | awk -v n=$iter '
        /Collected :/ { ir = $NF }
        / bytes, / { w = $1; b = $2; e = $4 }
        END {
            printf "%-11s %6d B %9.0f Ir %6.2f Ir/B", w, b, ir / n,
                   ir / n / b
            if (e) printf " %6.0f Ir/event", ir / n / e
            printf "\n"
        }'
done
