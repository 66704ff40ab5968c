/*
 * sheet_xls.c - the XLS reader of sheet.h: libfreexl, in a child process.
 *
 * libfreexl parses the whole file in freexl_open() and trusts what it reads: fuzzing found it
 * reading out of bounds and leaking on damaged files, it allocates the cells of whatever size
 * the file declares, and it counts a date's days one by one. So a child process opens the file
 * with libfreexl under CPU and memory limits, and writes the first worksheet's cells to a
 * pipe; the parent reads them row by row, with its own caps. A child that crashes, is killed
 * by its limits or stops early is an error message, never a crash of the program.
 *
 * The pipe carries native-endian records (the same program writes and reads them):
 *   header  int32 status (FREEXL_OK, a libfreexl error, XLS_PASSWORD, XLS_NO_SHEET or
 *           XLS_DIMENSIONS),
 *           uint32 name length, name, uint32 rows, uint32 columns
 *   row     uint32 row index, uint32 cells that follow, each: uint32 column, uint8 kind,
 *           uint32 length, text
 *   end     uint32 ROW_END;  error: uint32 ROW_ERROR, uint32 row, uint32 column, int32 status
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <freexl.h>

#include "i18n.h"
#include "sheet_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WITH_ASAN 1
#endif
#endif

#define XLS_PASSWORD (-1000)
#define XLS_NO_SHEET (-1001)
#define XLS_DIMENSIONS (-1002)   /* the worksheet claims more than the format holds */
#define XLS_MAX_ROWS 65536U      /* BIFF8's rows (BIFF2 to BIFF5: 16384) */
#define XLS_MAX_COLS 256U        /* columns, every BIFF version */
#define ROW_END 0xffffffffU
#define ROW_ERROR 0xfffffffeU
#define MAX_NAME 4096            /* bytes of a worksheet name */
#define MAX_TEXT (1 << 20)       /* bytes of a cell's text on the pipe (libfreexl: < 100 KiB) */

void (*sheet_xls_child_hook)(void);

struct xls {
	pid_t pid;
	FILE *in;
	uint32_t rows, cols;
	bool done, killed;
	char *buf;                /* a cell's text */
	size_t cap;
};

static const char *freexl_cause(int rc)
{
	switch (rc) {
	case XLS_PASSWORD:
		return _("it is protected by a password");
	case XLS_NO_SHEET:
		return _("the workbook has no worksheet");
	case FREEXL_INSUFFICIENT_MEMORY:
		return _("too large to read in memory");
	case FREEXL_BIFF_WORKBOOK_NOT_FOUND:
		return _("an OLE2 file without a Workbook stream: not an Excel workbook (a Word "
			 "document? an encrypted XLSX?)");
	case FREEXL_INVALID_CFBF_HEADER:
	case FREEXL_CFBF_INVALID_SIGNATURE:
	case FREEXL_CFBF_INVALID_SECTOR_SIZE:
	case FREEXL_CFBF_EMPTY_FAT_CHAIN:
	case FREEXL_CFBF_ILLEGAL_FAT_ENTRY:
	case FREEXL_INVALID_MINI_STREAM:
	case FREEXL_CFBF_ILLEGAL_MINI_FAT_ENTRY:
	case FREEXL_CFBF_READ_ERROR:
	case FREEXL_CFBF_SEEK_ERROR:
		return _("the OLE2 container is damaged or truncated");
	case FREEXL_BIFF_INVALID_BOF:
	case FREEXL_BIFF_INVALID_SST:
	case FREEXL_BIFF_ILLEGAL_SST_INDEX:
	case FREEXL_ILLEGAL_RK_VALUE:
		return _("the workbook is damaged");
	case FREEXL_UNSUPPORTED_CHARSET:
	case FREEXL_INVALID_CHARACTER:
		return _("text in an unsupported or invalid character set");
	default:
		return _("libfreexl cannot read it");
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The child: libfreexl */

static void put(FILE *out, const void *p, size_t n)
{
	if (n)
		fwrite(p, 1, n, out);
}

static void put_u32(FILE *out, uint32_t v)
{
	put(out, &v, sizeof(v));
}

/* The text and kind of a cell; false when it is empty. */
static bool cell_text(const FreeXL_CellValue *v, char num[32], const char **t,
		      enum sheet_kind *k)
{
	*k = SHEET_TEXT;
	*t = NULL;
	switch (v->type) {
	case FREEXL_CELL_INT:
		snprintf(num, 32, "%d", v->value.int_value);
		*t = num;
		*k = SHEET_NUMBER;
		break;
	case FREEXL_CELL_DOUBLE:
		sheet_number_text(v->value.double_value, num);
		*t = num;
		*k = SHEET_NUMBER;
		break;
	case FREEXL_CELL_TEXT:
	case FREEXL_CELL_SST_TEXT:
		*t = v->value.text_value;
		break;
	case FREEXL_CELL_DATE:
	case FREEXL_CELL_DATETIME:
		*t = v->value.text_value;
		*k = SHEET_DATE;
		break;
	case FREEXL_CELL_TIME:
		*t = v->value.text_value;
		*k = SHEET_TIME;
		break;
	default:
		break;
	}
	return *t && **t;
}

/* Write every row of the first worksheet; returns the process's exit status. */
static int child_dump(const void *h, FILE *out, uint32_t rows, uint32_t cols)
{
	FreeXL_CellValue v;
	const char *t;
	enum sheet_kind k;
	char num[32];
	uint32_t r, c, n;
	int rc;

	for (r = 0; r < rows; r++) {
		for (n = 0, c = 0; c < cols; c++) {
			rc = freexl_get_cell_value(h, r, (unsigned short)c, &v);
			if (rc != FREEXL_OK) {
				put_u32(out, ROW_ERROR);
				put_u32(out, r);
				put_u32(out, c);
				put(out, &rc, sizeof(rc));
				return 0;
			}
			n += cell_text(&v, num, &t, &k);
		}
		put_u32(out, r);
		put_u32(out, n);
		for (c = 0; c < cols && n; c++) {
			unsigned char kind;

			if (freexl_get_cell_value(h, r, (unsigned short)c, &v) != FREEXL_OK)
				return 1;    /* it read a moment ago */
			if (!cell_text(&v, num, &t, &k))
				continue;
			kind = (unsigned char)k;
			put_u32(out, c);
			put(out, &kind, 1);
			put_u32(out, (uint32_t)strlen(t));
			put(out, t, strlen(t));
			n--;
		}
	}
	put_u32(out, ROW_END);
	return 0;
}

static void child(const char *path, int fd, const struct sheet_limits *lim)
{
	struct rlimit cpu = { lim->xls_seconds, lim->xls_seconds + 1 };
	FILE *out = fdopen(fd, "wb");
	const void *h = NULL;
	const char *name = NULL;
	unsigned int count = 0, pw = 0, rows = 0;
	unsigned short cols = 0;
	int rc, status = 1;

	if (!out)
		_exit(1);
	setrlimit(RLIMIT_CPU, &cpu);
#ifndef WITH_ASAN
	{
		struct rlimit as = { lim->xls_memory, lim->xls_memory };

		setrlimit(RLIMIT_AS, &as);
	}
#endif
	if (sheet_xls_child_hook)
		sheet_xls_child_hook();
	rc = freexl_open(path, &h);
	if (rc == FREEXL_OK && freexl_get_info(h, FREEXL_BIFF_PASSWORD, &pw) == FREEXL_OK &&
	    pw == FREEXL_BIFF_OBFUSCATED)
		rc = XLS_PASSWORD;
	if (rc == FREEXL_OK)
		rc = freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &count);
	if (rc == FREEXL_OK && count == 0)
		rc = XLS_NO_SHEET;
	if (rc == FREEXL_OK)
		rc = freexl_select_active_worksheet(h, 0);
	if (rc == FREEXL_OK)
		rc = freexl_worksheet_dimensions(h, &rows, &cols);
	/* libfreexl takes the dimensions the file states: 12 KB may claim 300 million rows,
	 * which would all go through the pipe */
	if (rc == FREEXL_OK && (rows > XLS_MAX_ROWS || cols > XLS_MAX_COLS))
		rc = XLS_DIMENSIONS;
	if (rc == FREEXL_OK && (freexl_get_worksheet_name(h, 0, &name) != FREEXL_OK || !name))
		name = "";
	put(out, &rc, sizeof(rc));
	put_u32(out, rc == FREEXL_OK ? (uint32_t)strlen(name) : 0);
	if (rc == FREEXL_OK)
		put(out, name, strlen(name));
	put_u32(out, rows);
	put_u32(out, cols);
	status = rc == FREEXL_OK ? child_dump(h, out, rows, cols) : 0;
	if (fflush(out) != 0)
		status = 1;
	_exit(status);   /* no freexl_close(), no atexit handler: the process goes */
}

/* ------------------------------------------------------------------------------------------ */
/* The parent */

static bool get(struct xls *x, void *p, size_t n)
{
	return fread(p, 1, n, x->in) == n;
}

static bool get_u32(struct xls *x, uint32_t *v)
{
	return get(x, v, sizeof(*v));
}

/* Reap the child; a message when it ended badly, else NULL. */
static char *reap(struct sheet *s)
{
	struct xls *x = s->xls;
	int st = 0;
	pid_t r;

	if (x->pid <= 0)
		return NULL;
	do
		r = waitpid(x->pid, &st, 0);
	while (r < 0 && errno == EINTR);
	x->pid = 0;
	if (r < 0)
		return xasprintf(_("%s: not a readable XLS file: lost libfreexl's process: %s"),
				 s->path, strerror(errno));
	if (x->killed)
		return NULL;
	if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGXCPU || WTERMSIG(st) == SIGKILL))
		return xasprintf(_("%s: not a readable XLS file: libfreexl took more than %u s "
				   "of CPU on it (a hostile file?)"), s->path, s->lim.xls_seconds);
	if (WIFSIGNALED(st))
		return xasprintf(_("%s: not a readable XLS file: libfreexl crashed on it (%s): a "
				   "damaged or hostile file"), s->path, strsignal(WTERMSIG(st)));
	if (WEXITSTATUS(st) != 0)
		return xasprintf(_("%s: not a readable XLS file: libfreexl stopped on it (exit "
				   "status %d)"), s->path, WEXITSTATUS(st));
	return NULL;
}

/* The pipe ended or made no sense: the child's fate says why. */
static int broken(struct sheet *s, char **err)
{
	char *why;

	/* at the end of the pipe the child has ended: its status says why; else stop it */
	if (s->xls->pid > 0 && s->xls->in && !feof(s->xls->in)) {
		kill(s->xls->pid, SIGKILL);
		s->xls->killed = true;
	}
	why = reap(s);
	*err = why ? why : xasprintf(_("%s: not a readable XLS file: libfreexl's process sent "
				       "no complete worksheet"), s->path);
	s->xls->done = true;
	errno = EINVAL;
	return -1;
}

int sheet_xls_open(struct sheet *s, char **err)
{
	struct xls *x = xcalloc(1, sizeof(*x));
	uint32_t len;
	int fds[2], status;

	s->xls = x;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		*err = xasprintf("%s: pipe: %s", s->path, strerror(errno));
		return -1;
	}
	x->pid = fork();
	if (x->pid < 0) {
		*err = xasprintf("%s: fork: %s", s->path, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (x->pid == 0) {
		close(fds[0]);
		child(s->path, fds[1], &s->lim);
	}
	close(fds[1]);
	x->in = fdopen(fds[0], "rb");
	if (!x->in) {
		close(fds[0]);
		return broken(s, err);
	}
	if (!get(x, &status, sizeof(status)) || !get_u32(x, &len) || len > MAX_NAME)
		return broken(s, err);
	s->name = xcalloc(1, len + 1);
	if (!get(x, s->name, len) || !get_u32(x, &x->rows) || !get_u32(x, &x->cols) ||
	    x->cols > 65536)
		return broken(s, err);
	if (status != FREEXL_OK) {
		free(reap(s));
		if (status == XLS_DIMENSIONS)
			*err = xasprintf(_("%s: not a readable XLS file: its worksheet claims %u rows "
					   "and %u columns, more than the format's %u and %u (a "
					   "damaged or hostile file)"), s->path, x->rows, x->cols,
					 XLS_MAX_ROWS, XLS_MAX_COLS);
		else
			*err = xasprintf(_("%s: not a readable XLS file: %s"), s->path,
					 freexl_cause(status));
		x->done = true;
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int sheet_xls_next(struct sheet *s, char **err)
{
	struct xls *x = s->xls;
	uint32_t r, n, col, len, rc[3];
	unsigned char kind;
	char *why;

	if (x->done)
		return 0;
	if (!get_u32(x, &r))
		return broken(s, err);
	if (r == ROW_END) {
		x->done = true;
		why = reap(s);
		if (why) {
			*err = why;
			errno = EINVAL;
			return -1;
		}
		return 0;
	}
	if (r == ROW_ERROR) {
		if (!get(x, rc, sizeof(rc)))
			return broken(s, err);
		x->done = true;
		free(reap(s));
		*err = xasprintf(_("%s: row %u: cannot read cell %u: %s"), s->path, rc[0] + 1,
				 rc[1] + 1, freexl_cause((int)rc[2]));
		errno = EINVAL;
		return -1;
	}
	if (r >= x->rows || !get_u32(x, &n) || n > x->cols)
		return broken(s, err);
	sheet_row_begin(s, (long)r + 1);
	s->row.ncells = x->cols;
	while (n--) {
		if (!get_u32(x, &col) || col >= x->cols || !get(x, &kind, 1) ||
		    kind > SHEET_BOOL || !get_u32(x, &len) || len > MAX_TEXT)
			return broken(s, err);
		xgrow(&x->buf, &x->cap, len + 1, 1);
		if (!get(x, x->buf, len))
			return broken(s, err);
		sheet_cell_clear(s, col);
		sheet_cell_add(s, col, x->buf, len);
		sheet_cell_kind(s, col, (enum sheet_kind)kind);
		if (col + 1 > s->row.used)
			s->row.used = col + 1;
	}
	for (size_t i = 0; i < s->nreset; i++)
		sheet_cell_utf8(&s->cb[i]);
	sheet_row_publish(s);
	return 1;
}

void sheet_xls_close(struct sheet *s)
{
	struct xls *x = s->xls;

	if (!x)
		return;
	if (x->in)
		fclose(x->in);
	if (x->pid > 0) {
		kill(x->pid, SIGKILL);   /* closed before the end: the rest is not wanted */
		x->killed = true;
		free(reap(s));
	}
	free(x->buf);
	free(x);
	s->xls = NULL;
}
