# cq_fdw -- PostgreSQL foreign data wrapper for cloud and SaaS APIs
#
#   make && make install        build and install (pg_config on PATH, or PG_CONFIG=)
#   test/run                    the whole test suite (see README.md)
#   make installcheck           pg_regress against a running server (test/run sets it up)
#   make sanitize               build with ASan+UBSan (test/run SANITIZE=1 uses it)

MODULE_big = cq_fdw
EXTENSION  = cq_fdw
DATA       = cq_fdw--0.1.sql
PGFILEDESC = "cq_fdw - foreign data wrapper for cloud and SaaS APIs"

FDW_SRCS = $(sort $(wildcard src/*.c))
SDK_SRCS = $(sort $(wildcard src/sdk/*.c))
OBJS     = $(FDW_SRCS:.c=.o) $(SDK_SRCS:.c=.o)

REGRESS      ?= $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=cq_fdw

PG_CPPFLAGS = -Isrc -Isrc/sdk $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -pthread
SHLIB_LINK  = -lcurl -ljansson -lcrypto -lyaml -lxml2 -lpthread -ldl -lm

# The SDK is C11 and PostgreSQL-free; it follows its own warning set (see
# src/sdk/Makefile) rather than PostgreSQL's declaration-after-statement rule.
$(SDK_SRCS:.c=.o): CFLAGS += -std=gnu11 -Wno-declaration-after-statement

ifdef SANITIZE
# asan-stack=0: inside a backend the ASan runtime is loaded after libc (see
# src/sanitize.c), so it cannot intercept the siglongjmp of every ERROR, and
# the stack shadow left behind by a longjmp gives false stack-buffer-overflow
# reports; global buffers and all of UBSan are checked.
PG_CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DCQ_SANITIZE \
              --param asan-stack=0
SHLIB_LINK += -fsanitize=address,undefined
endif

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: rebuild everything a header changes
# (a stale object with an old struct layout crashes at run time).  After the
# include, so that `all` stays the default goal.
$(OBJS): $(wildcard src/*.h src/sdk/*.h)

# Source specs and the SDK header install with the extension.
# Only sources/<name>/<name>.json is a spec (overrides.json feeds the generator).
SOURCE_SPECS = $(sort $(foreach d,$(wildcard sources/*/),$(wildcard $(d)$(notdir $(patsubst %/,%,$(d))).json)))
install: install-sources
# The directory holds exactly this tree's specs: a spec left by an older
# install (another branch, a removed source) would be loaded as a source.
install-sources:
	$(MKDIR_P) '$(DESTDIR)$(datadir)/extension/cq_fdw/sources'
	rm -f '$(DESTDIR)$(datadir)/extension/cq_fdw/sources/'*.json
	$(if $(SOURCE_SPECS),$(INSTALL_DATA) $(SOURCE_SPECS) '$(DESTDIR)$(datadir)/extension/cq_fdw/sources/')
	$(MKDIR_P) '$(DESTDIR)$(includedir_server)/extension/cq_fdw'
	$(INSTALL_DATA) src/sdk/cq_sdk.h '$(DESTDIR)$(includedir_server)/extension/cq_fdw/'
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)/cq_fdw'

sdk:
	$(MAKE) -C src/sdk

demo:
	bash test/demo.sh

demo-stop:
	bash test/demo.sh stop

sanitize:
	$(MAKE) clean
	$(MAKE) SANITIZE=1

.PHONY: install-sources sdk sanitize demo demo-stop
