#!/usr/bin/env bash
# The Python service photoproc replaces, measured end to end: its own consumer
# (src/services/processor/photo_processor.py: pika, one message at a time, Pillow thumbnail)
# on N copies of one photo served from loopback. Prints "seed consumer: X photos/s" last.
#
#   SEED=<git dir or checkout of github:gbityunan/tiny_photo_processor> N=60 FILE=camera-4032x3024.jpg \
#     tools/seed-consumer.sh
#
# `make bench-vs-seed` runs it, then photoproc's half (tools/benche2e -server python).
#
# Needs Postgres on 127.0.0.1:5432 (user postgres, trust), RabbitMQ on 127.0.0.1:5672 (guest),
# and Debian's python3-sqlalchemy python3-pika python3-psycopg2 python3-pil (installed if missing).
# Uses its own database and deletes it; uses the queue name `photo-processor` (the service's own).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${SEED:?set SEED to the git directory or a checkout of github:gbityunan/tiny_photo_processor}"
N=${N:-60}; FILE=${FILE:-camera-4032x3024.jpg}; PHOTOS=${PHOTOS:-$HERE/../testdata/photos}
need=(); for m in sqlalchemy pika psycopg2 PIL; do /usr/bin/python3 -c "import $m" 2>/dev/null || need+=("python3-${m,,}"); done
if ((${#need[@]})); then apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi
W=$(mktemp -d)
if git -C "$SEED" rev-parse --git-dir >/dev/null 2>&1 && [ ! -d "$SEED/src" ]; then git -C "$SEED" archive HEAD src | tar x -C "$W"; else cp -r "$SEED/src" "$W/"; fi
db=seed_consumer_$RANDOM$RANDOM
export PG_CONNECTION_URI="postgresql://postgres@127.0.0.1:5432/$db" AMQP_URI="amqp://guest:guest@127.0.0.1:5672/%2f"
srv=; proc=
cleanup() {
  set +e
  for p in $proc $srv; do kill "$p" 2>/dev/null; done
  dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db" 2>/dev/null; rm -rf "$W"
}
trap cleanup EXIT
createdb -h 127.0.0.1 -U postgres "$db"
psql "$PG_CONNECTION_URI" -Xq <<'SQL'
create extension if not exists pgcrypto;
create type photo_status as enum ('pending','completed','processing','failed');
create table photos (uuid uuid primary key default gen_random_uuid(), url text not null, status photo_status not null default 'pending', created_at timestamptz not null default now());
create table photo_thumbnails (uuid uuid primary key default gen_random_uuid(), photo_uuid uuid not null references photos(uuid), width smallint not null, height smallint not null, url text not null, created_at timestamptz not null default now());
SQL
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 "$port" -d "$PHOTOS" >/dev/null 2>&1 & srv=$!
sleep 0.5
for _ in $(seq "$N"); do echo "insert into photos(url) values ('http://127.0.0.1:$port/$FILE');"; done | psql "$PG_CONNECTION_URI" -Xq
rabbitmqctl -q delete_queue photo-processor >/dev/null 2>&1 || true
mkdir -p /tpp-app-thumbs   # where the service writes its thumbnails
(cd "$W/src/services" && PYTHONPATH=. exec /usr/bin/python3 processor/photo_processor.py) > "$W/consumer.log" 2>&1 & proc=$!
sleep 2
t0=$(date +%s.%N)
/usr/bin/python3 - <<'PY'
import json, os, pika, psycopg2
conn = psycopg2.connect(os.environ["PG_CONNECTION_URI"]); cur = conn.cursor()
cur.execute("select uuid from photos"); ids = [r[0] for r in cur.fetchall()]
c = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URI"])); ch = c.channel()
ch.queue_declare(queue="photo-processor", durable=True)
for i in ids:
    ch.basic_publish(exchange="", routing_key="photo-processor", body=json.dumps({"photo_uuid": i}),
                     properties=pika.BasicProperties(delivery_mode=2))
c.close()
PY
while [ "$(psql "$PG_CONNECTION_URI" -XAtq -c "select count(*) from photos where status in ('pending','processing')")" != 0 ]; do
  kill -0 "$proc" 2>/dev/null || { tail -5 "$W/consumer.log"; echo "the consumer died" >&2; exit 1; }
  sleep 0.05
done
t1=$(date +%s.%N)
psql "$PG_CONNECTION_URI" -XAtq -c "select status, count(*) from photos group by 1"
rabbitmqctl -q delete_queue photo-processor >/dev/null 2>&1 || true
python3 -c "print(f'seed consumer: {$N/($t1-$t0):.2f} photos/s ($N x $FILE)')"
