# The application image: the API and the worker are the same code, started with different commands.
FROM node:20-bookworm-slim
# tini as PID 1 passes SIGTERM on to node and reaps children, so `docker stop` drains the API and
# the workers instead of killing them after the grace period.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
# node itself, not `npm run`: npm and a shell in between do not pass the signal on.
CMD ["node", "--import", "tsx", "api/main.ts"]
