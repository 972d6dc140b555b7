# Copy to instance/config.py (`init` writes SECRET_KEY there by itself) to configure this
# deployment. Environment variables (ERP_DATABASE_URL, ERP_SECRET_KEY, ...) win over this file.

# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://erp@localhost/erp"
# ERP_DEFAULT_LOCALE = "vi"
# ERP_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# ERP_DEFAULT_THEME = "ocean"   # a folder under themes/; Settings → General overrides these three
# ERP_RUN_SCHEDULER = True   # run scheduled jobs inside the web process (single process only)
# ERP_RUN_WORKER = True      # run background tasks inside the web process (single process only)
# Production (see README, "Production"):
# ERP_RATELIMIT_REDIS_URL = "redis://127.0.0.1:6379/0"   # login limits (default: the database)
# ERP_BASE_URL = "https://erp.example.com"   # links in mail (password reset) start with it
# ERP_TASKS_REDIS_URL = "redis://127.0.0.1:6379/1"   # background tasks shared by several hosts
# ERP_TRUSTED_PROXIES = 1   # one reverse proxy (nginx) in front: believe its X-Forwarded-*
# ERP_HTTPS = True          # Secure cookies and Strict-Transport-Security
# ERP_ATTACHMENTS_DIR = "/var/lib/erp/attachments"   # default: instance/attachments
